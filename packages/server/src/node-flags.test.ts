import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from './node-flags.ts';

const repo = new URL('../../../', import.meta.url);

test('npm start and the systemd unit in docs/self-hosting.md start the server with SERVER_NODE_FLAGS', () => {
  const start = (JSON.parse(readFileSync(new URL('package.json', repo), 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
  const unit = /^ExecStart=\/usr\/bin\/node (.*)packages\/server\/src\/main\.ts$/m.exec(readFileSync(new URL('docs/self-hosting.md', repo), 'utf8'));
  assert.ok(unit, 'docs/self-hosting.md has an ExecStart line that runs packages/server/src/main.ts');
  assert.match(start ?? '', /node (\S+ )*packages\/server\/src\/main\.ts/);
  const startFlags = /node ((?:--\S+ )*)packages\/server\/src\/main\.ts/.exec(start ?? '')![1]!.trim().split(' ');
  assert.deepEqual(startFlags, [...SERVER_NODE_FLAGS], 'package.json "start"');
  assert.deepEqual(unit[1]!.trim().split(' '), [...SERVER_NODE_FLAGS], 'the systemd unit');
});

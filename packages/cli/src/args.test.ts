import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseDuration, UsageError } from './args.ts';

test('ids starting with "-" or "#" are positionals, options may come before or after', () => {
  const r = parse(['devices', 'revoke', '-xHtG0RruxRaC-wY707Eug', '--profile', '/tmp/p', '--json'], {});
  assert.deepEqual(r.positionals, ['devices', 'revoke', '-xHtG0RruxRaC-wY707Eug']);
  assert.equal(r.values['profile'], '/tmp/p');
  assert.equal(r.values['json'], true);
  assert.deepEqual(parse(['react', '#abc', '👍'], {}).positionals, ['react', 'abc', '👍']);
  assert.deepEqual(parse(['--server=http://x', 'send', 'bruno', '-', 'hi'], {}).positionals, ['send', 'bruno', '-', 'hi']);
  assert.equal(parse(['send', '-h'], {}).values['help'], true);
  assert.throws(() => parse(['send', '--nope'], {}), UsageError);
});

test('durations', () => {
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('off'), 0);
  assert.throws(() => parseDuration('soon'), UsageError);
});

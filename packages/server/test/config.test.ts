import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_FIELDS, ConfigError, configMarkdownTable, loadConfig } from '../src/index.ts';

test('[CFG-1] defaults: loopback, port 8080, open registration, frozen', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.registration, 'open');
  assert.equal(c.publicUrl, null);
  assert.equal(c.limits.maxFrameBytes, 1_048_576);
  assert.equal(c.sessionTtlSeconds, 30 * 86400);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits));
});

test('[CFG-2] flags override the environment', () => {
  const c = loadConfig({ CHARLA_PORT: '1', CHARLA_ADMINS: 'Ana, bob' }, ['--port', '9000', '--registration=invite', '--public-url', 'https://chat.example.org/']);
  assert.equal(c.port, 9000);
  assert.equal(c.registration, 'invite');
  assert.equal(c.publicUrl, 'https://chat.example.org');
  assert.deepEqual(c.admins, ['ana', 'bob']);
});

test('[CFG-3] every mistake is reported, naming its variable', () => {
  const err = (() => {
    try {
      loadConfig({ CHARLA_PORT: 'abc', CHARLA_REGISTRATION: 'closed', CHARLA_PUBLIC_URL: 'ftp://x', CHARLA_FRAMES_PER_SECOND: '-1' }, ['--bogus']);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError);
  assert.ok(err.problems.includes('CHARLA_PORT must be an integer 0–65535, got "abc"'));
  assert.ok(err.problems.includes('CHARLA_REGISTRATION must be one of open, invite, got "closed"'));
  assert.ok(err.problems.some((p) => p.startsWith('CHARLA_PUBLIC_URL must be an http(s) URL')));
  assert.ok(err.problems.includes('CHARLA_FRAMES_PER_SECOND must be a positive number, got "-1"'));
  assert.ok(err.problems.some((p) => p.startsWith('unknown argument "--bogus"')));
  assert.throws(() => loadConfig({ CHARLA_MAX_MESSAGE_BYTES: '2000000' }), /CHARLA_MAX_MESSAGE_BYTES \(2000000\) must be smaller than CHARLA_MAX_FRAME_BYTES/);
});

test('[CFG-4] every field is documented with an env name, flag and description', () => {
  assert.ok(CONFIG_FIELDS.length >= 15);
  for (const f of CONFIG_FIELDS) {
    assert.match(f.env, /^CHARLA_[A-Z0-9_]+$/);
    assert.match(f.flag, /^--[a-z0-9-]+$/);
    assert.ok(f.description.length > 10);
  }
});

test('[CFG-4] the README table lists every variable', () => {
  const table = configMarkdownTable();
  for (const f of CONFIG_FIELDS) assert.ok(table.includes(`\`${f.env}\``));
});

test('[CFG-4] README.md shows the current configuration table', async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('<!-- config-table:start -->');
  const end = readme.indexOf('<!-- config-table:end -->');
  assert.ok(start >= 0 && end > start, 'README.md has the config-table markers');
  assert.equal(
    readme.slice(start + '<!-- config-table:start -->'.length, end).trim(),
    configMarkdownTable(),
    'regenerate the table: node -e "import(\'@charla/server\').then(m => console.log(m.configMarkdownTable()))"',
  );
});

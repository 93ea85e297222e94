import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, newUserDevice, TestSocket } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

test('[OPS-1][OPS-2] npm start serves, logs no token or authKey, and drains on SIGTERM with exit 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'charla-main-test-'));
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', dir], {
    env: { ...process.env, CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`no URL logged: ${out}`));
      }, 10_000);
      const check = () => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else if (!timedOut) setTimeout(check, 20); // after a timeout, stop polling (the loop would keep the test process alive)
      };
      check();
    });
    const device = await newUserDevice(url);
    await api(url, 'GET', '/v1/devices', undefined, device.token);
    const ws = await TestSocket.connect(url, device);
    const started = Date.now();
    child.kill('SIGTERM');
    assert.equal((await ws.closed).code, 1001, 'sockets close with 1001 (going away)');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - started < 5000);
    assert.ok(!out.includes(device.token), 'the session token never reaches the logs');
    assert.ok(!out.includes(device.user.authKey), 'nor the authKey');
    assert.match(out, /charla server stopped/);
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('[CFG-3] a bad configuration exits 2 with the message on stderr', async () => {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, CHARLA_PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /CHARLA_PORT must be an integer 0–65535, got "abc"/);
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer } from '@charla/server';

const BIN = fileURLToPath(new URL('../bin/charla.js', import.meta.url));
const PASSWORD = 'una contraseña larga';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the charla command line against a real server', () => {
  let server: { url: string; close(): Promise<void> };
  let dataDir: string;
  let home: string;

  const charla = (profile: string, args: string[], stdin?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, CHARLA_SERVER: server.url, CHARLA_PROFILE: join(home, profile) }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? '');
    });
  const ok = async (profile: string, args: string[], stdin?: string): Promise<string> => {
    const r = await charla(profile, args, stdin);
    assert.equal(r.code, 0, `charla ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const json = async (profile: string, args: string[]): Promise<Array<Record<string, unknown>>> =>
    (await ok(profile, ['--json', ...args])).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'charla-cli-srv-'));
    home = await mkdtemp(join(tmpdir(), 'charla-cli-home-'));
    server = await startServer(
      loadConfig({ CHARLA_PORT: '0', CHARLA_DATA_DIR: dataDir, CHARLA_LOG_LEVEL: 'silent', CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_SWEEP_INTERVAL_MS: '300', CHARLA_ADMINS: 'ana', CHARLA_SFU_LOCAL: 'false' }),
    );
    for (const name of ['ana', 'bruno', 'carla']) await ok(name, ['register', '--username', name, '--password-stdin'], `${PASSWORD}\n`);
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  test('--help everywhere, usage errors exit 2', async () => {
    const overview = await ok('x', ['--help']);
    for (const c of ['register', 'send', 'listen', 'history', 'group create', 'devices', 'safety-number', 'timer']) assert.match(overview, new RegExp(`\\b${c}\\b`));
    assert.match(await ok('x', ['send', '--help']), /charla send TO \[TEXT\] \[--file PATH\]/);
    assert.match(await ok('x', ['group', '--help']), /group remove/);
    const bad = await charla('x', ['frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "frobnicate"/);
    const again = await charla('ana', ['register', '--username', 'ana2', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already is device .* of @ana:/);
    const noProfile = await charla('nobody', ['history', 'ana']);
    assert.equal(noProfile.code, 1);
    assert.match(noProfile.stderr, /register or log in first/);
  });

  test('1:1 chat: send, history right after, replies, reactions, edits, deletes', async () => {
    assert.match(await ok('ana', ['send', 'bruno', 'hola', 'bruno']), /sent to bruno/);
    const history = await ok('bruno', ['history', 'ana']);
    assert.match(history, /ana: hola bruno/);
    const [m] = (await json('bruno', ['history', 'ana'])).filter((x) => x['text'] === 'hola bruno');
    const id = String(m?.['id']);
    await ok('bruno', ['reply', id.slice(0, 10), '¿qué tal?']);
    await ok('bruno', ['react', id, '👍']);
    const anaView = await ok('ana', ['history', 'bruno', '--profile', join(home, 'ana')]);
    assert.match(anaView, /hola bruno.*\[👍\]/);
    assert.match(anaView, /↪ you: "hola bruno" ¿qué tal\?/);

    const mine = (await json('ana', ['history', 'bruno'])).find((x) => x['text'] === 'hola bruno');
    await ok('ana', ['edit', String(mine?.['id']), 'hola, bruno']);
    assert.match(await ok('bruno', ['history', 'ana']), /ana: hola, bruno \(edited\)/);
    await ok('ana', ['delete', String(mine?.['id'])]);
    const after = await ok('bruno', ['history', 'ana']);
    assert.doesNotMatch(after, /hola, bruno/);
    assert.match(after, /message deleted/);
  });

  test('invite links open a chat with their owner', async () => {
    const link = (await ok('carla', ['invite'])).trim();
    assert.match(link, /^http:\/\/.+\/i\/carla#[A-Za-z0-9_-]{22}$/);
    assert.match(await ok('bruno', ['accept', link]), /Chat with carla is ready/);
    await ok('bruno', ['send', 'carla', 'te encontré']);
    assert.match(await ok('carla', ['history', 'bruno']), /bruno: te encontré/);
    const forged = link.slice(0, -4) + 'AAAA';
    const r = await charla('bruno', ['accept', forged]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not match the invite link/);
  });

  test('groups: create, send, add, remove; the removed member reads nothing after', async () => {
    await ok('ana', ['group', 'create', 'amigos', '--members', 'bruno']);
    await ok('ana', ['group', 'add', 'amigos', 'carla']);
    await ok('ana', ['send', 'amigos', 'hola', 'amigos']);
    assert.match(await ok('carla', ['history', 'amigos']), /ana: hola amigos/);
    assert.match(await ok('bruno', ['group', 'list']), /amigos: ana, bruno, carla/);
    await ok('ana', ['group', 'remove', 'amigos', 'carla']);
    await ok('bruno', ['send', 'amigos', 'secreto']);
    assert.match(await ok('ana', ['history', 'amigos']), /bruno: secreto/);
    const carlaView = await ok('carla', ['history', 'amigos']);
    assert.match(carlaView, /ana: hola amigos/);
    assert.doesNotMatch(carlaView, /secreto/);
  });

  test('attachments: upload with progress, download and decrypt', async () => {
    const file = join(home, 'foto.jpg');
    const bytes = Buffer.alloc(200_000, 7);
    bytes.write('not really a jpeg');
    await writeFile(file, bytes);
    const sent = await charla('ana', ['send', 'bruno', '--file', file]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stderr, /uploading foto\.jpg 100%/);
    const m = (await json('bruno', ['history', 'ana'])).find((x) => (x['attachment'] as { name?: string } | undefined)?.name === 'foto.jpg');
    const out = join(home, 'bajada.jpg');
    await ok('bruno', ['download', String(m?.['id']), '--out', out]);
    assert.deepEqual(await readFile(out), bytes);
  });

  test('disappearing messages disappear on every device', async () => {
    // Long enough that a loaded machine still reads the message before it disappears.
    try {
      await ok('ana', ['timer', 'bruno', '8s']);
      const sentAt = Date.now();
      const [sent] = await json('ana', ['send', 'bruno', 'esto se autodestruye']);
      const { DatabaseSync } = await import('node:sqlite');
      const stored = (): number => {
        const db = new DatabaseSync(join(dataDir, 'charla.sqlite'));
        try {
          return (db.prepare('SELECT count(*) AS n FROM group_log WHERE msg_id = ?').get(String(sent?.['id'])) as { n: number }).n;
        } finally {
          db.close();
        }
      };
      // Checked before bruno reads it: once every recipient has acknowledged an entry, the server
      // may collect it at any time ([DEL-7]), timer or not.
      assert.equal(stored(), 1, 'the server holds the ciphertext while it is undelivered');
      assert.match(await ok('bruno', ['history', 'ana']), /esto se autodestruye/);
      await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 8_000 + 1_000 - Date.now())));
      assert.doesNotMatch(await ok('bruno', ['history', 'ana']), /autodestruye/);
      assert.doesNotMatch(await ok('ana', ['history', 'bruno']), /autodestruye/);
      assert.equal(stored(), 0, 'the server deleted it too');
    } finally {
      // Later tests must not inherit a disappearing timer, even if this one failed.
      await ok('ana', ['timer', 'bruno', 'off']);
    }
  });

  test('devices: a second device joins, is listed, and can be revoked', async () => {
    await ok('ana-phone', ['login', '--username', 'ana', '--password-stdin'], `${PASSWORD}\n`);
    const devices = await json('ana', ['devices']);
    assert.equal(devices.length, 2);
    await ok('ana', ['history', 'bruno']); // ana's laptop adds the phone to her chats
    await ok('bruno', ['send', 'ana', 'para los dos']);
    assert.match(await ok('ana-phone', ['history', 'bruno']), /bruno: para los dos/);
    const phone = devices.find((d) => d['current'] === false);
    await ok('ana', ['devices', 'revoke', String(phone?.['deviceId'])]);
    assert.equal((await json('ana', ['devices'])).length, 1);
    const r = await charla('ana-phone', ['history', 'bruno']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /revoked/);
    const wrong = await charla('ana-x', ['login', '--username', 'ana', '--password-stdin'], 'wrong password\n');
    assert.match(wrong.stderr, /wrong username or password/);
  });

  test('devices link: a new computer joins with the code, without the password, and has the chats', async () => {
    const { spawn } = await import('node:child_process');
    await ok('bruno', ['send', 'ana', 'antes de enlazar']);
    const env = { ...process.env, CHARLA_SERVER: server.url, CHARLA_PROFILE: join(home, 'bruno') };
    const linker = spawn(process.execPath, [BIN, 'devices', 'link', '--json'], { env });
    const exited = new Promise<number | null>((resolve) => linker.once('exit', resolve));
    let out = '';
    const code = await new Promise<string>((resolve, reject) => {
      linker.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /"code":"([0-9A-Z-]{29})"/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`devices link exited: ${out}`)));
    });
    const joined = await ok('bruno-laptop', ['link', code.toLowerCase(), '--device-name', 'laptop']);
    assert.match(joined, /Linked: this computer is now a device of @bruno:/);
    assert.equal(await exited, 0, out);
    assert.match(out, /"type":"linked"/);
    assert.match(await ok('bruno-laptop', ['history', 'ana']), /you: antes de enlazar/, 'recent history came along');
    assert.equal((await json('bruno', ['devices'])).length, 2);
  });

  test('listen prints messages as they arrive', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'listen', '--json'], { env: { ...process.env, CHARLA_SERVER: server.url, CHARLA_PROFILE: join(home, 'bruno') } });
    let out = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"listening"') && !out.includes('sent-while-listening')) void ok('ana', ['send', 'bruno', 'sent-while-listening']);
        if (out.includes('"text":"sent-while-listening"')) resolve();
      });
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`listen saw: ${out}`)), 30_000));
    try {
      await Promise.race([seen, timeout]);
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
  });

  test('admins create invite tokens; others may not', async () => {
    const token = (await ok('ana', ['admin', 'invite-token'])).trim();
    assert.ok(token.length >= 8);
    const r = await charla('bruno', ['admin', 'invite-token']);
    assert.equal(r.code, 1);
  });

  test('a changed account key is warned about once, on the next send', async () => {
    await ok('bruno', ['send', 'carla', 'antes del cambio']);
    // Play a malicious server: swap carla's account key in the server's database.
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(dataDir, 'charla.sqlite'));
    db.prepare("UPDATE accounts SET account_public_key = ? WHERE username = 'carla'").run(Buffer.alloc(32, 9).toString('base64url'));
    db.close();
    const first = await charla('bruno', ['send', 'carla', 'sigues ahí?']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /carla's safety number changed/);
    const second = await charla('bruno', ['send', 'carla', 'otra vez']);
    assert.doesNotMatch(second.stderr, /safety number changed/);
  });

  test('safety numbers match on both sides', async () => {
    const a = /(\d{5}(?: \d{5}){11})/.exec(await ok('ana', ['safety-number', 'bruno']))?.[1];
    const b = /(\d{5}(?: \d{5}){11})/.exec(await ok('bruno', ['safety-number', 'ana']))?.[1];
    assert.ok(a);
    assert.equal(a, b);
  });
  test('[ROOM-1] room create prints a room link and a host link; the link secret opens the room, the host link makes a host', async () => {
    assert.match(await ok('x', ['room', '--help']), /charla room create \[--lobby\]/);
    assert.match(await ok('x', ['--help']), /\bsfu\b.*charla sfu --help/);
    assert.match(await ok('x', ['sfu', '--help']), /charla sfu — run a Charla SFU/);
    const badSfu = await charla('x', ['sfu', '--port', 'abc']);
    assert.equal(badSfu.code, 2, 'a bad SFU flag is a usage error');
    const out = await ok('ana', ['room', 'create']);
    const link = /Room link \(share it\): (\S+)/.exec(out)?.[1];
    const hostLink = /Your host link \([^)]*\): (\S+)/.exec(out)?.[1];
    assert.ok(link && hostLink, out);
    assert.match(link, /^http:\/\/.+\/r\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);
    assert.equal(hostLink.split('.').length > 1 && hostLink.startsWith(`${link}.`), true, 'the host link is the link plus .<hostToken> in the fragment');
    const [room] = (await json('ana', ['room', 'create', '--lobby'])).filter((x) => x['type'] === 'room');
    assert.equal(room?.['lobby'], true);
    assert.match(String(room?.['hostLink']), /#[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    // Join over the room WebSocket with what the links hold: the secret's access key and the host token.
    const { parseRoomLink, roomAccessKey } = await import('@charla/sdk');
    const { toBase64Url } = await import('@charla/protocol');
    const { WebSocket } = await import('ws');
    const join = async (l: string): Promise<Record<string, unknown>> => {
      const parsed = parseRoomLink(l);
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/rooms/ws`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const answer = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)));
      const key = () => toBase64Url(new Uint8Array(32).map(() => Math.floor(Math.random() * 256)));
      ws.send(JSON.stringify({ t: 'join', id: 1, roomId: parsed.roomId, accessKey: toBase64Url(roomAccessKey(parsed.secret)), name: 'c2VhbGVk', pub: key(), pubMac: key(), ...(parsed.hostToken ? { hostToken: parsed.hostToken } : {}) }));
      const a = await answer;
      ws.close();
      return a;
    };
    const asHost = await join(String(room?.['hostLink']));
    assert.deepEqual([asHost['t'], asHost['role']], ['joined', 'host']);
    assert.equal((await join(String(room?.['link'])))['t'], 'lobby', 'a guest of a lobby room knocks');
    assert.deepEqual([(await join(link))['t'], (await join(hostLink))['role']], ['joined', 'host']);
  });
});

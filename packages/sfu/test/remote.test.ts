import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { connectSfu } from '../src/remote.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';
import { createSyntheticClient, type SyntheticClient } from '../src/testing/synthetic-client.ts';
import type { DisconnectReason } from '../src/types.ts';
import { sleep, waitFor } from './wait.ts';

const thisFile = fileURLToPath(import.meta.url);
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const secret = 'test-secret-0123456789abcdef';
/** Starts `charla sfu` as a child process on a free port; resolves with its control URL. */
async function spawnSfu(extra: string[] = []): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [bin, '--port', '0', '--ice-address', '127.0.0.1', '--ice-interface', '127.0.0.1', '--log-level', 'info', ...extra],
    { env: { ...process.env, CHARLA_SFU_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const parsed = JSON.parse(line) as { url: string };
        resolve(parsed.url);
      }
    });
    void exited.then((code) => reject(new Error(`the SFU exited with ${code} before listening`)));
  });
  return { child, url, exited };
}

inLoopbackNamespace('sfu remote process', thisFile, () => {
  describe('charla sfu as a separate process', () => {
    it('refuses a wrong secret; forwards media, speakers, views and load through the control socket; reports participants lost when killed', { timeout: 60_000 }, async () => {
      const { child, url, exited } = await spawnSfu(['--last-n', '9']);
      const clients: SyntheticClient[] = [];
      try {
        await assert.rejects(connectSfu(url, 'wrong-secret-0123456789abcdef'), /HTTP 401/);

        const speakers: string[][] = [];
        const lost: { roomId: string; participantId: string; reason: DisconnectReason }[] = [];
        const sfu = await connectSfu(url, secret, {
          onSpeakers: (_roomId, ids) => speakers.push(ids),
          onDisconnected: (roomId, participantId, reason) => lost.push({ roomId, participantId, reason }),
        });
        for (const id of ['a', 'b', 'c']) clients.push(createSyntheticClient({ id, keyFrameIntervalMs: 1000 }));
        const [a, b, c] = clients as [SyntheticClient, SyntheticClient, SyntheticClient];
        const joined = clients.map((client) => sfu.join('room', client.id, client.signal.bind(client)));
        await Promise.all(joined.map((p) => p.negotiated()));

        const everyone = () => clients.every((r) => clients.every((p) => p === r || (r.received.get(`${p.id}:video`)?.packets ?? 0) > 10));
        await waitFor(everyone, () => `media between a, b and c (${clients.map((x) => `${x.id}: ${[...x.received.keys()].join()}`).join('; ')})`);
        await waitFor(() => clients.every((r) => r.receivingFrom('audio').length === 2), () => 'audio between all three');
        await waitFor(() => sfu.load().participants === 3, () => `load to count 3 (${JSON.stringify(sfu.load())})`);
        assert.deepEqual(sfu.load(), { rooms: 1, participants: 3, forwardedStreams: 12 });
        assert.deepEqual([...(sfu.stats('room')?.participants ?? [])].sort(), ['a', 'b', 'c']);

        c.setAudioLevel(20);
        await waitFor(() => speakers.some((s) => s.join() === 'c'), () => `speakers [c] (${JSON.stringify(speakers)})`);

        // A view set through the control socket: a now gets one video, the speaker's.
        sfu.setView('a', { lastN: 1 });
        await sleep(1000);
        assert.deepEqual(a.receivingFrom('video', 500), ['c']);
        assert.deepEqual(b.receivingFrom('video', 500), ['a', 'c']);

        // The SFU process dies: the server learns that every participant is gone.
        child.kill('SIGKILL');
        await exited;
        await waitFor(() => lost.length === 3, () => `3 disconnections (${JSON.stringify(lost)})`);
        assert.deepEqual(lost.map((l) => `${l.roomId}/${l.participantId}/${l.reason}`).sort(), ['room/a/sfu-lost', 'room/b/sfu-lost', 'room/c/sfu-lost']);
        assert.equal(sfu.connected, false);
        await assert.rejects(sfu.join('room', 'd', a.signal.bind(a)).negotiated(), /closed/);
      } finally {
        child.kill('SIGKILL');
        await Promise.all(clients.map((client) => client.close()));
      }
    });

    it('drains on SIGTERM: refuses new joins, exits 0 once the room is empty', { timeout: 30_000 }, async () => {
      const { child, url, exited } = await spawnSfu(['--drain-timeout', '20000']);
      const client = createSyntheticClient({ id: 'solo' });
      try {
        const sfu = await connectSfu(url, secret);
        await sfu.join('room', 'solo', client.signal.bind(client)).negotiated();
        child.kill('SIGTERM');
        await waitFor(() => sfu.draining, () => 'the SFU to announce draining');
        await assert.rejects(sfu.join('room', 'late', client.signal.bind(client)).negotiated(), /draining/);
        const early = await Promise.race([exited.then(() => 'exited'), sleep(500).then(() => 'running')]);
        assert.equal(early, 'running', 'the SFU exited while a participant was still in a room');
        await sfu.leave('solo');
        assert.equal(await exited, 0);
        await sfu.closed;
      } finally {
        child.kill('SIGKILL');
        await client.close();
      }
    });
  });
});

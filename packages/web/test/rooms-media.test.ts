import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { toBase64Url } from '@charla/protocol';
import { inLoopbackNamespace } from '@charla/sfu/testing';
import { CharlaClient, MemoryStore, newRoomSecret, registerAccount, roomAccessKey, roomLink } from '@charla/sdk';
import { bootWebServer, browserMissing, launchMediaBrowser, type WebServer } from './browser.ts';

/**
 * End-to-end encrypted room media in real browsers: pages join from the link through the room
 * screen, and getStats says what each one decodes from each other one (frames of video, samples of
 * audio). Media must never leave loopback: the file runs in a loopback-only network namespace.
 */

type Stats = Record<string, { framesDecoded: number; keyFramesDecoded: number; totalSamplesReceived: number; concealedSamples: number; packetsReceived: number; pliCount: number }>;
/** Audio samples actually decoded (not concealment made up while packets are missing). */
const decodedSamples = (s: Stats[string] | undefined): number => (s ? s.totalSamplesReceived - s.concealedSamples : 0);
type Hook = {
  state: string;
  keyEpoch: number;
  me: { participantId: string };
  receiveStats(): Promise<Stats>;
  sendStats(): Promise<unknown>;
  workerStats(): Promise<{ encrypted: number; decrypted: Record<string, number>; dropped: Record<string, number>; why: { notEncrypted: number; noKey: number; notAuthentic: number } }>;
  lock(on: boolean): Promise<void>;
  setLobby(on: boolean): Promise<void>;
  admit(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  lobby(): { participantId: string; name: string }[];
  participants(): { participantId: string; name: string }[];
  on(event: 'change' | 'error', fn: (error?: unknown) => void): unknown;
};
type Win = { __charlaRoom?: Hook; __states?: string[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

inLoopbackNamespace(
  'room media',
  fileURLToPath(import.meta.url),
  () => {
    describe('room media, end to end encrypted', { skip: browserMissing() }, () => {
      let server: WebServer;
      let browser: Browser;
      let client: CharlaClient;
      const contexts: BrowserContext[] = [];
      let room: { roomId: string; secret: Uint8Array; hostToken: string };
      const pages = new Map<string, { page: Page; context: BrowserContext; id: string }>();

      before(async () => {
        server = await bootWebServer({ CHARLA_SFU_INTERFACE: '127.0.0.1', CHARLA_SFU_ANNOUNCED_ADDRESSES: '127.0.0.1', CHARLA_ROOM_RESUME_GRACE_MS: '30000', CHARLA_LOG_LEVEL: process.env['ROOMS_LOG'] ?? 'silent' });
        browser = await launchMediaBrowser();
        const store = new MemoryStore();
        await registerAccount(store, { serverUrl: server.url, username: 'host', password: 'a safe password' });
        client = await CharlaClient.open(store);
        const secret = newRoomSecret();
        const created = await client.http.call('createRoom', { accessKey: toBase64Url(roomAccessKey(secret)) });
        room = { roomId: created.roomId, secret, hostToken: created.hostToken };
      });
      after(async () => {
        for (const c of contexts) await c.close().catch(() => undefined);
        await browser?.close();
        await client?.close();
        await server?.close();
      });

      const guestLink = (): string => roomLink(server.url, room.roomId, room.secret);
      const hook = <T,>(name: string, fn: (room: Hook) => T | Promise<T>): Promise<T> =>
        pages.get(name)!.page.evaluate(
          ([source]) => {
            const r = (window as unknown as Win).__charlaRoom;
            if (!r) throw new Error('not in the room');
            return (new Function('room', `return (${source})(room)`) as (room: Hook) => T)(r);
          },
          [fn.toString()] as const,
        );

      /** Opens a room link in a fresh context and presses Join under `name`. */
      async function open(name: string, link: string, options: { wrongKey?: boolean } = {}): Promise<Page> {
        const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
        contexts.push(context);
        await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
        const page = await context.newPage();
        await page.addInitScript((wrongKey) => {
          if (wrongKey) (globalThis as unknown as { __charlaRoomTest: unknown }).__charlaRoomTest = { wrongMediaKey: true };
          // A network drop for signalling: the test cuts the page's sockets, and until
          // `__offlineUntil` new ones go to a path the server refuses (same origin, as the page's
          // content security policy demands), so reconnection attempts fail and back off.
          const sockets: WebSocket[] = [];
          const Native = WebSocket;
          const w = globalThis as unknown as { __sockets: WebSocket[]; __offlineUntil: number };
          w.__sockets = sockets;
          w.__offlineUntil = 0;
          globalThis.WebSocket = class extends Native {
            constructor(url: string | URL, protocols?: string | string[]) {
              super(Date.now() < w.__offlineUntil ? new URL('/offline', url) : url, protocols);
              sockets.push(this);
            }
          };
        }, options.wrongKey === true);
        await page.goto(link);
        await page.getByRole('heading', { name: 'Join the call' }).waitFor();
        await page.getByLabel('Your name').fill(name);
        await page.getByRole('button', { name: 'Join', exact: true }).click();
        pages.set(name, { page, context, id: '' });
        return page;
      }

      /** Waits until `name` is in the call (the test hook appears) and records its participant id. */
      async function inCall(name: string): Promise<string> {
        const entry = pages.get(name)!;
        await entry.page.waitForFunction(() => (window as unknown as Win).__charlaRoom?.state === 'joined', undefined, { timeout: 20_000 });
        entry.id = await hook(name, (r) => r.me.participantId);
        await entry.page.evaluate(() => {
          const w = window as unknown as Win;
          w.__states = [];
          const room = w.__charlaRoom!;
          room.on('change', () => {
            if (w.__states!.at(-1) !== room.state) w.__states!.push(room.state);
          });
          room.on('error', (error) => w.__states!.push(`error: ${String(error)}`));
        });
        return entry.id;
      }

      async function join(name: string, link: string, options: { wrongKey?: boolean } = {}): Promise<string> {
        await open(name, link, options);
        return inCall(name);
      }

      const stats = (name: string): Promise<Stats> => hook(name, (r) => r.receiveStats());

      /**
       * Polls until `viewer` decodes fresh video frames and audio samples (0.1 s) from each of
       * `from`. Counts only growth between polls: after a reconnection the tracks (and their
       * counters) are new. The bar is low on purpose: on a loaded machine a page may decode only a
       * few frames a second, while a page without the key decodes none at all.
       */
      async function decodes(viewer: string, from: string[], timeoutMs = 40_000): Promise<void> {
        const start = await stats(viewer);
        const grown: Record<string, { frames: number; samples: number }> = {};
        const deadline = Date.now() + timeoutMs;
        let prev: Stats = start;
        let last: Stats = start;
        let ids: string[] = [];
        while (Date.now() < deadline) {
          // Read each time: a page whose resumption failed comes back as a new participant.
          ids = await Promise.all(from.map((n) => hook(n, (r) => r.me.participantId)));
          last = await stats(viewer);
          for (const id of ids) {
            const g = (grown[id] ??= { frames: 0, samples: 0 });
            g.frames += Math.max(0, (last[id]?.framesDecoded ?? 0) - (prev[id]?.framesDecoded ?? 0));
            g.samples += Math.max(0, decodedSamples(last[id]) - decodedSamples(prev[id]));
          }
          prev = last;
          const ok = ids.every((id) => grown[id]!.frames >= 5 && grown[id]!.samples >= 4800);
          if (ok) return;
          await sleep(500);
        }
        const worker = await hook(viewer, (r) => r.workerStats());
        const history = await Promise.all([viewer, ...from].map(async (n) => [n, await pages.get(n)!.page.evaluate(() => (window as unknown as Win).__states)]));
        const senders = await Promise.all(from.map(async (n) => [n, await hook(n, (r) => r.sendStats())]));
        assert.fail(`${viewer} does not decode ${from.join(', ')}: ${JSON.stringify({ start, last, worker, ids, history, senders })}`);
      }

      test('three pages join from the link and each decodes every other one’s video and audio', async () => {
        await join('ana', roomLink(server.url, room.roomId, room.secret, room.hostToken));
        await join('bruno', guestLink());
        await join('carla', guestLink());
        await Promise.all([decodes('ana', ['bruno', 'carla']), decodes('bruno', ['ana', 'carla']), decodes('carla', ['ana', 'bruno'])]);
        // What the SFU forwards is ciphertext: no page ever received a frame without our trailer.
        for (const name of ['ana', 'bruno', 'carla']) {
          const worker = await hook(name, (r) => r.workerStats());
          assert.equal(worker.why.notEncrypted, 0, `${name} received plaintext frames`);
          assert.ok(worker.encrypted > 20, `${name} encrypted what it sent`);
        }
      });

      test('a receiver with a wrong key decodes nothing while the others go on decoding', async () => {
        await join('intruso', guestLink(), { wrongKey: true });
        // Its packets arrive (the SFU forwards ciphertext to it) but no frame decrypts.
        await pages.get('intruso')!.page.waitForFunction(
          async () => {
            const s = await (window as unknown as Win).__charlaRoom!.receiveStats();
            return Object.values(s).filter((x) => x.packetsReceived > 100).length >= 3;
          },
          undefined,
          { timeout: 20_000, polling: 500 },
        );
        await decodes('ana', ['bruno', 'carla']);
        const seen = await stats('intruso');
        for (const name of ['ana', 'bruno', 'carla']) {
          const id = await hook(name, (r) => r.me.participantId);
          assert.equal(seen[id]?.framesDecoded ?? 0, 0, `the wrong key decoded video of ${name}`);
          assert.equal(decodedSamples(seen[id]), 0, `the wrong key decoded audio of ${name}`);
        }
        const worker = await hook('intruso', (r) => r.workerStats());
        assert.equal(Object.values(worker.decrypted).reduce((a, b) => a + b, 0), 0);
        assert.ok(Object.values(worker.dropped).reduce((a, b) => a + b, 0) > 50, 'frames arrived and were dropped');
        assert.ok(worker.why.notAuthentic > 50, 'they were ciphertext that does not authenticate under the wrong key');
        assert.equal(worker.why.notEncrypted, 0);
        await hook('intruso', (r) => (r as unknown as { leave(): Promise<void> }).leave());
        await pages.get('intruso')!.context.close();
        pages.delete('intruso');
      });

      test('a locked room refuses a new guest; with a lobby, a guest gets in only when the host admits', async () => {
        await hook('ana', (r) => r.lock(true));
        const dani = await open('dani', guestLink());
        await dani.getByRole('heading', { name: 'This call is locked' }).waitFor();
        assert.equal(await dani.evaluate(() => (window as unknown as Win).__charlaRoom), undefined);

        await hook('ana', async (r) => {
          await r.setLobby(true);
          await r.lock(false);
        });
        await dani.getByRole('button', { name: 'Try again' }).click();
        await dani.getByRole('button', { name: 'Join', exact: true }).click();
        await dani.getByRole('heading', { name: 'Waiting to be let in' }).waitFor();
        const ana = pages.get('ana')!.page;
        await ana.waitForFunction(() => (window as unknown as Win).__charlaRoom!.lobby().some((p) => p.name === 'dani'));
        await sleep(1000);
        assert.equal(await dani.evaluate(() => (window as unknown as Win).__charlaRoom?.state), undefined, 'still waiting');
        const knocked = await hook('ana', (r) => r.lobby().find((p) => p.name === 'dani')!.participantId);
        await ana.evaluate((id) => (window as unknown as Win).__charlaRoom!.admit(id), knocked);
        await inCall('dani');
        await hook('ana', (r) => r.setLobby(false));
        await Promise.all([decodes('dani', ['ana', 'bruno', 'carla']), decodes('ana', ['dani'])]);
      });

      test('a removed participant is cut off and the rest switch to a fresh key and go on', async () => {
        const dani = pages.get('dani')!;
        const daniId = await hook('dani', (r) => r.me.participantId);
        // Keep dani's session object: the page forgets it once the call ended.
        await dani.page.evaluate(() => ((window as unknown as { __kept?: Hook }).__kept = (window as unknown as Win).__charlaRoom));
        await pages.get('ana')!.page.evaluate((id) => (window as unknown as Win).__charlaRoom!.remove(id), daniId);
        await dani.page.getByRole('heading', { name: 'You were removed from the call' }).waitFor();
        // The host rotated: everyone who stays sends and receives under epoch 1, which dani never got.
        for (const name of ['ana', 'bruno', 'carla']) {
          await pages.get(name)!.page.waitForFunction(() => (window as unknown as Win).__charlaRoom!.keyEpoch === 1, undefined, { timeout: 10_000 });
        }
        await Promise.all([decodes('ana', ['bruno', 'carla']), decodes('bruno', ['ana', 'carla']), decodes('carla', ['ana', 'bruno'])]);
        assert.deepEqual(
          await dani.page.evaluate(() => {
            const kept = (window as unknown as { __kept: Hook }).__kept;
            return { state: kept.state, keyEpoch: kept.keyEpoch };
          }),
          { state: 'removed', keyEpoch: 0 },
          'dani never got the new epoch',
        );
        const frames = await hook('bruno', (r) => r.workerStats());
        assert.ok(frames.encrypted > 0);
        pages.delete('dani');
      });

      test('a page that loses its network for a few seconds comes back into the call by itself', async () => {
        const carla = pages.get('carla')!;
        // Chromium's offline emulation leaves WebSockets and WebRTC up (and lets new sockets connect
        // and then lose their frames), so the drop is made by hand: the page's sockets are cut and
        // for 4 s no new one connects. The session must notice, back off, resume, and rebuild media.
        await carla.page.evaluate(() => {
          const w = globalThis as unknown as { __sockets: WebSocket[]; __offlineUntil: number };
          w.__offlineUntil = Date.now() + 4000;
          w.__sockets.forEach((s) => s.close(4000, 'network lost'));
        });
        const history = () =>
          carla.page.evaluate(() =>
            JSON.stringify({
              states: (window as unknown as Win).__states,
              sockets: (globalThis as unknown as { __sockets: WebSocket[] }).__sockets.map((x) => `${x.url} ${x.readyState}`),
            }),
          );
        await carla.page.waitForFunction(() => (window as unknown as Win).__charlaRoom?.state === 'reconnecting', undefined, { polling: 100 }).catch(async (error: unknown) => assert.fail(`no drop noticed: ${await history()} ${String(error)}`));
        await sleep(4000);
        await carla.page
          .waitForFunction(() => (window as unknown as Win).__charlaRoom?.state === 'joined', undefined, { timeout: 30_000, polling: 200 })
          .catch(async (error: unknown) => assert.fail(`not back: ${await history()} ${String(error)}`));
        await Promise.all([decodes('carla', ['ana', 'bruno']), decodes('ana', ['carla']), decodes('bruno', ['carla'])]);
      });
    });
  },
  { timeoutMs: 240_000 },
);

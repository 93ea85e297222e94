import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inLoopbackNamespace } from '@charla/sfu/testing';
import { bootWebServer, browserMissing, bubbles, launchMediaBrowser, openChatWith, sendMessage, signUp, unnamedControls, type WebServer } from './browser.ts';

/**
 * The room screens with real people: a signed-in host creates a call, guests without accounts
 * join from its link, the host locks, runs the waiting room and removes someone, chat flows, and
 * the screens speak Spanish and work from the keyboard. Pages carry media, so the file runs in a
 * loopback-only network namespace (house rule). Screenshots go to docs/screenshots/ with
 * UPDATE_SCREENSHOTS=1.
 */
const DOCS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

inLoopbackNamespace(
  'room screens',
  fileURLToPath(import.meta.url),
  () => {
    describe('room screens', { skip: browserMissing() }, () => {
      let server: WebServer;
      let browser: Browser;
      let out: string;
      const contexts: BrowserContext[] = [];
      let host: Page;
      let bruno: Page;
      let carla: Page;
      let link = '';

      before(async () => {
        server = await bootWebServer({ CHARLA_SFU_INTERFACE: '127.0.0.1', CHARLA_SFU_ANNOUNCED_ADDRESSES: '127.0.0.1' });
        browser = await launchMediaBrowser();
        out = process.env['UPDATE_SCREENSHOTS'] === '1' ? DOCS : await mkdtemp(join(tmpdir(), 'charla-room-shots-'));
        await mkdir(out, { recursive: true });
      });
      after(async () => {
        for (const c of contexts) await c.close().catch(() => undefined);
        await browser?.close();
        await server?.close();
        if (out && out !== DOCS) await rm(out, { recursive: true, force: true });
      });

      const newPage = async (locale = 'en-US'): Promise<Page> => {
        const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
        contexts.push(context);
        // With loopback alone, Chromium reports navigator.onLine = false, and the chat app then waits
        // for a network before connecting. The server is reachable on loopback: say so.
        await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => true }));
        // Keeps the page's sockets, so a test can cut them (an emulated offline leaves them open).
        await context.addInitScript(() => {
          const sockets: WebSocket[] = ((globalThis as unknown as { __sockets: WebSocket[] }).__sockets = []);
          const Native = WebSocket;
          globalThis.WebSocket = class extends Native {
            constructor(url: string | URL, protocols?: string | string[]) {
              super(url, protocols);
              sockets.push(this);
            }
          };
        });
        await context.grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin: server.url });
        // The machine is shared: under load an MLS commit or an ICE check can take a while.
        context.setDefaultTimeout(60_000);
        return context.newPage();
      };
      const shot = async (page: Page, name: string): Promise<void> => {
        await page.evaluate(() => document.fonts.ready);
        // For the docs only: a picture in every tile that shows video, if it comes (decoding is the
        // media tests' subject), and the connection as it usually is, not as the load makes it now.
        if (out === DOCS) await settle(page);
        await page.screenshot({ path: join(out, `rooms-${name}.png`), caret: 'hide', animations: 'disabled' });
      };
      const settle = async (page: Page): Promise<void> => {
        await page
          .waitForFunction(() => Array.from(document.querySelectorAll<HTMLVideoElement>('video:not(.hidden)')).every((v) => v.videoWidth > 0), undefined, { timeout: 10_000 })
          .catch(() => undefined);
        if (await page.getByRole('group', { name: 'Call controls' }).isVisible()) await page.getByRole('img', { name: 'Connection: good' }).waitFor({ timeout: 10_000 }).catch(() => undefined);
      };
      /** Opens the link as a guest and joins under `name`; returns once the join was pressed. */
      const joinAs = async (page: Page, name: string): Promise<void> => {
        await page.goto(link);
        await page.getByRole('heading', { name: 'Join the call' }).waitFor();
        await page.getByLabel('Your name').fill(name);
        await page.getByRole('button', { name: 'Join', exact: true }).click();
      };
      const tile = (page: Page, name: string | RegExp) => page.getByRole('list', { name: 'In the call' }).getByRole('listitem', { name });
      /**
       * Waits until `name`'s tile plays that person's live stream (audio and video tracks). Whether
       * the frames decode is the media tests' subject (packages/sdk, packages/web/test/rooms-media*).
       */
      const seesStreamOf = async (page: Page, name: string): Promise<void> => {
        const video = tile(page, new RegExp(`^${name}`)).locator('video');
        await page.waitForFunction(
          (el) => {
            const tracks = ((el as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks() ?? [];
            return ['audio', 'video'].every((kind) => tracks.some((t) => t.kind === kind && t.readyState === 'live'));
          },
          await video.elementHandle(),
          { timeout: 30_000 },
        );
      };
      const people = async (page: Page): Promise<ReturnType<Page['getByRole']>> => {
        const panel = page.getByRole('complementary', { name: 'People' });
        if (!(await panel.isVisible())) await page.getByRole('group', { name: 'Call controls' }).getByRole('button', { name: /^People/ }).click();
        return panel;
      };

      test('a signed-in person starts a call from the chat list and is its host', async () => {
        host = await newPage();
        await signUp(host, server.url, 'ana');
        await host.getByRole('button', { name: 'New call' }).click();
        await host.getByRole('heading', { name: 'Join the call' }).waitFor();
        assert.match(new URL(host.url()).pathname, /^\/r\/[A-Za-z0-9_-]{22}$/);
        // The address bar shows the guest link: the host token went to this browser's storage.
        assert.match(new URL(host.url()).hash, /^#[A-Za-z0-9_-]{43}$/);
        assert.equal(await host.getByLabel('Your name').inputValue(), 'ana');
        await host.getByRole('button', { name: 'Join', exact: true }).click();
        const controls = host.getByRole('group', { name: 'Call controls' });
        await controls.getByRole('button', { name: 'Leave call' }).waitFor();
        const panel = await people(host);
        await panel.getByRole('switch', { name: /Lock the call/ }).waitFor();
        link = await panel.getByLabel('Invite link').inputValue();
        assert.match(link, new RegExp(`^${server.url}/r/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`), 'the invite link is the guest link, without the host token');
        await panel.getByRole('button', { name: 'Show QR code' }).click();
        await panel.getByRole('img', { name: 'Invite link as a QR code' }).waitFor();
        await panel.getByRole('button', { name: 'Copy invite link' }).click();
        assert.equal(await host.evaluate(() => navigator.clipboard.readText()), link);
        await host.getByRole('complementary', { name: 'People' }).getByRole('button', { name: 'Close' }).click();
        assert.ok(await host.evaluate(() => (window as unknown as { __charlaRoom?: unknown }).__charlaRoom !== undefined), 'the joined session is exposed for the media tests');
        // A reload keeps the host role: the token stayed in this browser, not in the address bar.
        await host.reload();
        await host.getByRole('button', { name: 'Join', exact: true }).click();
        await (await people(host)).getByRole('switch', { name: /Lock the call/ }).waitFor();
        await host.getByRole('complementary', { name: 'People' }).getByRole('button', { name: 'Close' }).click();
      });

      test('a guest without an account opens the link, types a name, sees the preview, joins; both see each other', async () => {
        bruno = await newPage();
        await bruno.goto(link);
        await bruno.getByRole('heading', { name: 'Join the call' }).waitFor();
        // The preview plays the (fake) camera before joining.
        await bruno.waitForFunction(() => ((document.querySelector('video') as HTMLVideoElement | null)?.videoWidth ?? 0) > 0);
        await bruno.getByRole('button', { name: 'Microphone', pressed: true }).waitFor();
        await bruno.getByRole('button', { name: 'Camera', pressed: true }).waitFor();
        await bruno.getByLabel('Your name').fill('Bruno');
        await shot(bruno, 'prejoin');
        assert.deepEqual(await unnamedControls(bruno), []);
        await bruno.getByRole('button', { name: 'Join', exact: true }).click();
        await tile(bruno, /^ana/).waitFor();
        await tile(host, /^Bruno/).waitFor();
        await tile(bruno, /^Bruno \(you\)/).waitFor();
        await seesStreamOf(host, 'Bruno');
        await seesStreamOf(bruno, 'ana');
        // The name is remembered for the next call.
        assert.equal(await bruno.evaluate(() => localStorage.getItem('charla.room.name')), 'Bruno');
      });

      test('in-room chat reaches the other side, with an unread count', async () => {
        await bruno.getByRole('group', { name: 'Call controls' }).getByRole('button', { name: 'Chat' }).click();
        const box = bruno.getByRole('textbox', { name: 'Message' });
        await box.fill('¿Me oyes bien?');
        await box.press('Enter');
        await bruno.getByRole('log', { name: 'Chat' }).getByText('¿Me oyes bien?').waitFor();
        const chatButton = host.getByRole('group', { name: 'Call controls' }).getByRole('button', { name: 'Chat, 1 new' });
        await chatButton.click();
        const log = host.getByRole('log', { name: 'Chat' });
        await log.getByText('¿Me oyes bien?').waitFor();
        await log.getByText('Bruno', { exact: false }).first().waitFor();
        await host.getByRole('complementary', { name: 'Chat' }).getByRole('button', { name: 'Close' }).click();
      });

      test('grid and speaker layouts', async () => {
        await shot(host, 'grid');
        const speaker = host.getByRole('button', { name: 'Speaker view' });
        await speaker.click();
        await host.getByRole('button', { name: 'Speaker view', pressed: true }).waitFor();
        await host.getByRole('list', { name: 'Speaker view' }).getByRole('listitem').waitFor();
        await shot(host, 'speaker');
        await speaker.click();
        await host.getByRole('button', { name: 'Speaker view', pressed: false }).waitFor();
        // On a phone every control still fits and is there.
        await bruno.getByRole('complementary', { name: 'Chat' }).getByRole('button', { name: 'Close' }).click();
        await bruno.setViewportSize({ width: 360, height: 740 });
        for (const name of ['Microphone', 'Camera', 'Speaker view', 'People', 'Chat', 'Leave call']) await bruno.getByRole('group', { name: 'Call controls' }).getByRole('button', { name }).first().waitFor();
        await shot(bruno, 'phone');
        await bruno.setViewportSize({ width: 1280, height: 800 });
      });

      test('a locked call turns a new guest away; with the waiting room on, the host lets a knocker in', async () => {
        const panel = await people(host);
        await panel.getByRole('switch', { name: /Lock the call/ }).check();
        await host.getByRole('img', { name: 'Call locked' }).waitFor();
        carla = await newPage();
        await joinAs(carla, 'Carla');
        await carla.getByRole('heading', { name: 'This call is locked' }).waitFor();

        await panel.getByRole('switch', { name: /Lock the call/ }).uncheck();
        await panel.getByRole('switch', { name: /Waiting room/ }).check();
        await host.getByRole('complementary', { name: 'People' }).getByRole('button', { name: 'Close' }).click();
        await carla.getByRole('button', { name: 'Try again' }).click();
        await carla.getByRole('button', { name: 'Join', exact: true }).click();
        await carla.getByRole('heading', { name: 'Waiting to be let in' }).waitFor();
        // The host hears nothing but sees who knocks, and the People button counts them.
        await host.getByRole('status').filter({ hasText: 'Carla wants to join the call' }).waitFor();
        await host.getByRole('button', { name: 'People, 1 waiting' }).waitFor();
        assert.equal(await host.title(), '(1) Video call');
        const lobby = await people(host);
        await lobby.getByRole('button', { name: 'Let Carla in' }).waitFor();
        await shot(host, 'host-lobby');
        await lobby.getByRole('button', { name: 'Let Carla in' }).click();
        await tile(carla, /^ana/).waitFor();
        await tile(carla, /^Bruno/).waitFor();
        await tile(host, /^Carla/).waitFor();
        await seesStreamOf(carla, 'Bruno');
      });

      test('every control is named, reachable and usable from the keyboard', async () => {
        assert.deepEqual(await unnamedControls(carla), []);
        await people(host);
        assert.deepEqual(await unnamedControls(host), [], 'the host panel names every control');
        await host.getByRole('complementary', { name: 'People' }).getByRole('button', { name: 'Close' }).click();
        await carla.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        const reached = new Set<string>();
        const wanted = ['Microphone', 'Camera', 'Speaker view', 'People', 'Chat', 'Leave call'];
        const missing = (): string[] => wanted.filter((name) => ![...reached].some((r) => r.startsWith(name)));
        for (let i = 0; i < 30 && missing().length > 0; i++) {
          await carla.keyboard.press('Tab');
          reached.add(await carla.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? ''));
        }
        assert.deepEqual(missing(), [], `every control is reachable with Tab (reached: ${[...reached].join(' | ')})`);
        const mic = carla.getByRole('button', { name: 'Microphone' });
        await mic.focus();
        await carla.keyboard.press('Space');
        await carla.getByRole('button', { name: 'Microphone', pressed: false }).waitFor();
        await tile(host, /^Carla: .*Microphone off/).waitFor();
        await carla.keyboard.press('Enter');
        await carla.getByRole('button', { name: 'Microphone', pressed: true }).waitFor();
      });

      test('the host asks a guest to mute: the guest is told and mutes with one press', async () => {
        const panel = await people(host);
        await panel.getByRole('button', { name: 'Ask Carla to mute' }).click();
        const notice = carla.getByRole('alert').filter({ hasText: 'The host asks you to mute your microphone.' });
        await notice.waitFor();
        // A request, never a remote switch: the microphone stays on until Carla decides.
        await carla.getByRole('button', { name: 'Microphone', pressed: true }).waitFor();
        await notice.getByRole('button', { name: 'Mute' }).click();
        await carla.getByRole('button', { name: 'Microphone', pressed: false }).waitFor();
        await notice.waitFor({ state: 'detached' });
        await tile(host, /^Carla: .*Microphone off/).waitFor();
      });

      test('a dropped connection shows "Reconnecting…" and the call comes back by itself', async () => {
        const context = carla.context();
        await context.setOffline(true);
        await carla.evaluate(() => (globalThis as unknown as { __sockets: WebSocket[] }).__sockets.forEach((s) => s.close(4000, 'network lost')));
        const banner = carla.getByRole('status').filter({ hasText: 'Connection lost. Reconnecting…' });
        await banner.waitFor();
        await context.setOffline(false);
        await banner.waitFor({ state: 'detached' });
        await tile(carla, /^ana/).waitFor();
        await carla.getByRole('group', { name: 'Call controls' }).waitFor();
      });

      test('the host removes a guest after confirming; the guest sees why', async () => {
        const panel = await people(host);
        await panel.getByRole('button', { name: 'Remove Bruno' }).click();
        const confirm = host.getByRole('dialog', { name: 'Remove Bruno?' });
        await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
        await bruno.getByRole('heading', { name: 'You were removed from the call' }).waitFor();
        await tile(host, /^Bruno/).waitFor({ state: 'detached' });
        await tile(carla, /^Bruno/).waitFor({ state: 'detached' });
        assert.equal(await bruno.evaluate(() => (window as unknown as { __charlaRoom?: unknown }).__charlaRoom), undefined);
        await bruno.context().close();
      });

      test('Spanish when the browser language is Spanish', async () => {
        const dario = await newPage('es-ES');
        await dario.goto(link);
        await dario.getByRole('heading', { name: 'Unirse a la llamada' }).waitFor();
        await dario.getByRole('button', { name: 'Micrófono', pressed: true }).waitFor();
        await dario.getByRole('button', { name: 'Cámara' }).waitFor();
        await dario.getByLabel('Tu nombre').fill('Darío');
        await dario.getByRole('button', { name: 'Unirse', exact: true }).click();
        // The waiting room is still on.
        await dario.getByRole('heading', { name: 'Esperando a que te dejen entrar' }).waitFor();
        const panel = await people(host);
        await panel.getByRole('button', { name: 'Deny Darío' }).click();
        await dario.getByRole('heading', { name: 'El anfitrión no te dejó entrar' }).waitFor();
        await dario.getByRole('button', { name: 'Ir a Charla' }).waitFor();
        await dario.context().close();
      });

      test('a call started in a chat: the caller hosts it, a member joins from the call message', async () => {
        const [eva, fede] = [await newPage(), await newPage()];
        await signUp(eva, server.url, 'eva');
        await signUp(fede, server.url, 'fede');
        await openChatWith(eva, 'fede');
        await sendMessage(eva, '¿Hablamos?');
        await fede.getByRole('button', { name: /Chat with eva/ }).click();
        await bubbles(fede, '¿Hablamos?').waitFor();

        await eva.getByRole('button', { name: 'Start a video call' }).click();
        await eva.getByRole('heading', { name: 'Join the call' }).waitFor();
        assert.match(new URL(eva.url()).hash, /^#[A-Za-z0-9_-]{43}$/, 'the host token left the address bar');
        await eva.getByRole('button', { name: 'Join', exact: true }).click();
        await eva.getByRole('group', { name: 'Call controls' }).waitFor();
        const panel = await people(eva);
        await panel.getByRole('switch', { name: /Lock the call/ }).waitFor(); // host controls: eva is the host

        const card = bubbles(fede, 'Video call');
        await card.getByRole('button', { name: 'Join' }).click();
        await fede.getByRole('heading', { name: 'Join the call' }).waitFor();
        assert.equal(await fede.getByLabel('Your name').inputValue(), 'fede');
        await fede.getByRole('button', { name: 'Join', exact: true }).click();
        await tile(fede, /^eva/).waitFor();
        await tile(eva, /^fede/).waitFor();
        await fede.getByRole('button', { name: 'Leave call' }).click();
        await fede.getByRole('button', { name: 'Back to chats' }).click();
        await fede.getByRole('heading', { name: 'Chats' }).waitFor();
        await fede.getByRole('button', { name: /Chat with eva/ }).getByText('Video call').waitFor();
        await Promise.all([eva.context().close(), fede.context().close()]);
      });

      test('leaving shows a way back in', async () => {
        await carla.getByRole('button', { name: 'Leave call' }).click();
        await carla.getByRole('heading', { name: 'You left the call' }).waitFor();
        await carla.getByRole('button', { name: 'Rejoin' }).waitFor();
        await tile(host, /^Carla/).waitFor({ state: 'detached' });
      });
    });
  },
  // Generous: on a loaded machine (npm test runs two files at once) each page encodes and decodes video.
  { timeoutMs: 480_000 },
);

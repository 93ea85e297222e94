import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bootWebServer, browserMissing, bubbles, launchBrowser, makePng, openChatWith, sendMessage, signUp, type WebServer } from './browser.ts';

/**
 * Screenshots of the main screens at desktop and phone sizes. They go to docs/screenshots/ when
 * UPDATE_SCREENSHOTS=1 (then commit them); otherwise to a temporary directory, so that an ordinary
 * test run still walks every screen but leaves the tree alone.
 */
const DOCS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 360, height: 740 } } as const;

describe('screenshots of the web app', { skip: browserMissing() }, () => {
  let server: WebServer;
  let browser: Browser;
  let out: string;
  const contexts: BrowserContext[] = [];
  before(async () => {
    server = await bootWebServer();
    browser = await launchBrowser();
    out = process.env['UPDATE_SCREENSHOTS'] === '1' ? DOCS : await mkdtemp(join(tmpdir(), 'charla-shots-'));
    await mkdir(out, { recursive: true });
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.close();
    if (out !== DOCS) await rm(out, { recursive: true, force: true });
  });

  const person = async (name: string, size: keyof typeof SIZES = 'desktop'): Promise<Page> => {
    const context = await browser.newContext({ locale: 'en-US', viewport: SIZES[size], deviceScaleFactor: 1, reducedMotion: 'reduce' });
    contexts.push(context);
    const page = await context.newPage();
    await signUp(page, server.url, name);
    return page;
  };
  const shot = async (page: Page, name: string): Promise<void> => {
    // Let fonts, images and layout settle; hide the caret so repeated runs look the same.
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(out, `${name}.png`), caret: 'hide', animations: 'disabled' });
  };

  test('onboarding, chat list, chat with a reply, a reaction and an image, group info, safety number', async () => {
    const onboarding = await browser.newContext({ locale: 'en-US', deviceScaleFactor: 1 });
    contexts.push(onboarding);
    const first = await onboarding.newPage();
    for (const [size, viewport] of Object.entries(SIZES)) {
      await first.setViewportSize(viewport);
      await first.goto(server.url);
      await first.getByLabel('Pick a username').waitFor();
      await shot(first, `onboarding-${size}`);
    }

    const [ana, bruno, carla, dario] = [await person('ana'), await person('bruno'), await person('carla'), await person('dario')];
    // A group first, so the 1:1 chat is the newest in the list.
    await ana.getByRole('button', { name: 'New chat' }).click();
    await ana.getByRole('button', { name: 'New group' }).click();
    const newGroup = ana.getByRole('dialog', { name: 'New group' });
    await newGroup.getByLabel('Group name').fill('Family');
    for (const name of ['carla', 'dario']) {
      await newGroup.getByLabel('Add someone by username').fill(name);
      await newGroup.getByRole('button', { name: 'Add', exact: true }).click();
      await newGroup.getByRole('checkbox', { name }).waitFor();
    }
    await newGroup.getByRole('button', { name: 'Create group' }).click();
    await ana.getByRole('heading', { name: 'Family', level: 1 }).waitFor();
    await sendMessage(ana, 'Sunday lunch at grandma’s?');
    await carla.getByRole('button', { name: /Group Family/ }).click();
    await sendMessage(carla, 'Yes! I’ll bring dessert 🍰');
    await dario.getByRole('button', { name: /Group Family/ }).click();
    await sendMessage(dario, 'Count me in');
    await bubbles(ana, 'Count me in').waitFor();

    await openChatWith(ana, 'bruno');
    await sendMessage(ana, 'Are we still on for the beach tomorrow?');
    await bruno.getByRole('button', { name: /Chat with ana/ }).click();
    const question = bubbles(bruno, 'beach tomorrow');
    await question.waitFor();
    await question.getByRole('button', { name: 'Message actions' }).click();
    await bruno.getByRole('menuitem', { name: 'Reply' }).click();
    await sendMessage(bruno, 'Yes! Leaving at 9. Look at the weather:');
    await bruno.getByLabel('Attach a file', { exact: true }).first().setInputFiles([{ name: 'forecast.png', mimeType: 'image/png', buffer: makePng(640, 400) }]);
    await bubbles(ana, 'Leaving at 9').waitFor();
    await ana.getByRole('button', { name: 'Open image forecast.png' }).waitFor();
    const reply = bubbles(ana, 'Leaving at 9');
    await reply.getByRole('button', { name: 'Message actions' }).click();
    await ana.getByRole('menuitem', { name: 'React ❤️' }).click();
    await sendMessage(ana, 'Perfect, see you there ☀️');
    await bubbles(bruno, 'see you there').waitFor();
    await bubbles(ana, 'see you there').getByRole('img', { name: 'Read' }).waitFor();
    await ana.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // The one-time notifications offer is answered, so the screenshots show the chats themselves.
    await ana.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Not now' }).click();
    const fromList = async (name: RegExp): Promise<void> => {
      const back = ana.getByRole('button', { name: 'Back' });
      if (await back.isVisible()) await back.click();
      await ana.getByRole('button', { name }).click();
    };
    const settled = (): Promise<void> => ana.getByText(/typing…/).first().waitFor({ state: 'hidden' });
    for (const [size, viewport] of Object.entries(SIZES)) {
      await ana.setViewportSize(viewport);
      if (size === 'phone') {
        await ana.getByRole('button', { name: 'Back' }).click();
        await shot(ana, `chat-list-${size}`);
      }
      await fromList(/Chat with bruno/);
      await ana.getByRole('heading', { name: 'bruno', level: 1 }).waitFor();
      await settled();
      await shot(ana, `chat-${size}`);

      await ana.getByRole('button', { name: 'Chat info' }).click();
      const info = ana.getByRole('dialog', { name: 'Chat info' });
      await info.getByRole('img', { name: /as a QR code/ }).waitFor();
      await info.getByRole('heading', { name: 'Your safety number with bruno' }).evaluate((h) => h.scrollIntoView({ block: 'start' }));
      await shot(ana, `safety-number-${size}`);
      await info.getByRole('button', { name: 'Close' }).click();

      await fromList(/Group Family/);
      await settled();
      if (size === 'desktop') await shot(ana, `group-${size}`);
      await ana.getByRole('button', { name: 'Group info' }).click();
      await ana.getByRole('dialog', { name: 'Group info' }).getByText('3 members').waitFor();
      await shot(ana, `group-info-${size}`);
      await ana.getByRole('dialog', { name: 'Group info' }).getByRole('button', { name: 'Close' }).click();
    }

    for (const name of ['onboarding', 'chat-list', 'chat', 'group-info', 'safety-number']) {
      for (const size of Object.keys(SIZES)) {
        if (name === 'chat-list' && size === 'desktop') continue; // the desktop chat view shows the list beside it
        const png = await readFile(join(out, `${name}-${size}.png`));
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${name}-${size}.png is a PNG`);
      }
    }
  });
});

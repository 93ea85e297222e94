import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { bootWebServer, browserMissing, bubbles, launchBrowser, openChatWith, sendMessage, signUp, unnamedControls, type WebServer } from './browser.ts';

describe('everyone can use the web app', { skip: browserMissing() }, () => {
  let server: WebServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  before(async () => {
    server = await bootWebServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.close();
  });

  test('keyboard only: chat list, messages, message actions and the emoji picker; every control is named; lang follows the language', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 740 } });
    contexts.push(context);
    const other = await browser.newContext({ locale: 'en-US' });
    contexts.push(other);
    const bruno = await other.newPage();
    await signUp(bruno, server.url, 'bruno');
    const ana = await context.newPage();
    await ana.goto(server.url);
    assert.deepEqual(await unnamedControls(ana), []);
    await signUp(ana, server.url, 'ana');
    assert.equal(await ana.evaluate(() => document.documentElement.lang), 'en');
    await openChatWith(ana, 'bruno');
    await sendMessage(ana, 'uno');
    await sendMessage(ana, 'dos');
    // Both delivered: bruno's receipts are in, so nothing re-renders the chat while keys are pressed.
    await bubbles(ana, 'uno').getByRole('img', { name: 'Delivered' }).waitFor();
    await bubbles(ana, 'dos').getByRole('img', { name: 'Delivered' }).waitFor();
    assert.deepEqual(await unnamedControls(ana), []);
    const focused = (): Promise<string> => ana.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '');

    // Messages: one tab stop, arrows move between bubbles, Enter opens actions, arrows + Enter pick one.
    await ana.getByRole('list', { name: 'Messages' }).focus();
    await ana.keyboard.press('ArrowUp');
    assert.equal(await ana.evaluate(() => document.activeElement?.textContent?.includes('dos')), true);
    await ana.keyboard.press('ArrowUp');
    assert.equal(await ana.evaluate(() => document.activeElement?.textContent?.includes('uno')), true);
    await ana.keyboard.press('Enter');
    await ana.getByRole('menu', { name: 'Message actions' }).waitFor();
    assert.equal(await ana.evaluate(() => document.activeElement?.textContent), 'Reply');
    await ana.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'React 👍');
    await ana.keyboard.press('Enter');
    await ana.getByRole('menu', { name: 'Message actions' }).waitFor({ state: 'detached' });
    await bubbles(ana, 'uno').getByLabel('Reactions').getByText('👍').waitFor({ timeout: 10_000 });

    // The emoji picker: open from the composer, move with arrows, Enter inserts, Escape closes.
    await ana.getByRole('button', { name: 'Emoji' }).click();
    const picker = ana.getByRole('group', { name: 'Emoji' });
    await picker.waitFor();
    assert.equal(await picker.getByRole('button').count(), 40);
    await ana.keyboard.press('ArrowRight');
    await ana.keyboard.press('Enter');
    const box = ana.getByRole('textbox', { name: 'Message', exact: true });
    assert.equal(await box.inputValue(), '😂');
    await picker.waitFor({ state: 'detached' });
    await ana.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message');
    await ana.getByRole('button', { name: 'Emoji' }).click();
    await picker.getByRole('button').first().waitFor();
    await ana.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    assert.equal(await ana.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Emoji');

    // Phone width: the chat fills the screen; Back returns to the list, where arrows move between chats.
    const width = await ana.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `no horizontal scrolling at 360 px (scrollWidth ${width})`);
    await ana.getByRole('button', { name: 'Back' }).click();
    await ana.getByRole('searchbox', { name: 'Search chats' }).focus();
    await ana.keyboard.press('ArrowDown');
    assert.match((await ana.evaluate(() => document.activeElement?.getAttribute('aria-label'))) ?? '', /^Chat with bruno/);
    await ana.keyboard.press('Enter');
    await ana.getByRole('heading', { name: 'bruno', level: 1 }).waitFor();
    // The browser's (or phone's) back button leaves the chat for the list, and forward returns.
    await ana.goBack();
    await ana.getByRole('heading', { name: 'bruno', level: 1 }).waitFor({ state: 'hidden' });
    await ana.getByRole('heading', { name: 'Chats' }).waitFor();
    await ana.goForward();
    await ana.getByRole('heading', { name: 'bruno', level: 1 }).waitFor();

    // Settings switch the language, and the page's lang follows.
    await ana.getByRole('button', { name: 'Back' }).click();
    await ana.getByRole('button', { name: 'Settings' }).click();
    assert.deepEqual(await unnamedControls(ana), []);
    await ana.getByRole('dialog', { name: 'Settings' }).getByLabel('Language').selectOption('es');
    await ana.getByRole('dialog', { name: 'Ajustes' }).waitFor();
    assert.equal(await ana.evaluate(() => document.documentElement.lang), 'es');
  });

  test('notifications after opting in say who wrote, never what; the title counts unread messages', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    // A recording stand-in for the Notification API, and a tab that can be "hidden".
    await context.addInitScript(() => {
      const shown: Array<{ title: string; body: string | undefined }> = [];
      (window as unknown as { shown: typeof shown }).shown = shown;
      class FakeNotification {
        static permission = 'default';
        static requestPermission(): Promise<string> {
          FakeNotification.permission = 'granted';
          return Promise.resolve('granted');
        }
        onclick: (() => void) | null = null;
        constructor(title: string, options?: { body?: string }) {
          shown.push({ title, body: options?.body });
        }
        close(): void {}
      }
      Object.defineProperty(window, 'Notification', { value: FakeNotification });
      let hidden = false;
      Object.defineProperty(document, 'hidden', { get: () => hidden });
      (window as unknown as { setHidden: (h: boolean) => void }).setHidden = (h) => {
        hidden = h;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    const carla = await context.newPage();
    await signUp(carla, server.url, 'carla');
    await carla.getByRole('button', { name: 'Settings' }).click();
    const settings = carla.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('button', { name: 'Turn on notifications' }).click();
    await settings.getByRole('button', { name: 'Turn off notifications' }).waitFor();
    await carla.getByRole('button', { name: 'Close' }).click();

    const other = await browser.newContext({ locale: 'en-US' });
    contexts.push(other);
    const dario = await other.newPage();
    await signUp(dario, server.url, 'dario');
    await openChatWith(dario, 'carla');
    await carla.evaluate(() => (window as unknown as { setHidden: (h: boolean) => void }).setHidden(true));
    await sendMessage(dario, 'un secreto');
    // Once asked, the chat list no longer suggests turning notifications on.
    await carla.getByRole('button', { name: /Chat with dario/ }).waitFor();
    assert.equal(await carla.getByRole('region', { name: 'Notifications' }).count(), 0);
    await carla.waitForFunction(() => (window as unknown as { shown: unknown[] }).shown.length > 0);
    const shown = await carla.evaluate(() => (window as unknown as { shown: unknown[] }).shown);
    assert.deepEqual(shown[0], { title: 'Charla', body: 'New message from dario' });
    assert.doesNotMatch(JSON.stringify(shown), /secreto/);
    await carla.waitForFunction(() => document.title === '(1) Charla');
    // Back in the tab, opening the chat reads it: the count leaves the title and the list.
    await carla.evaluate(() => (window as unknown as { setHidden: (h: boolean) => void }).setHidden(false));
    await carla.getByRole('button', { name: 'Chat with dario, 1 unread' }).click();
    await carla.waitForFunction(() => document.title === 'Charla');
    await carla.getByRole('button', { name: 'Chat with dario', exact: true }).waitFor();
  });
});

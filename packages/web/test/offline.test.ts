import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, bubbles, openChatWith, sendMessage, signUp, useWebSuite } from './browser.ts';

describe('the web app offline', { skip: browserMissing() }, () => {
  const web = useWebSuite();

  test('a message written offline shows pending, then arrives exactly once when the network returns', async () => {
    const a = await web.browser.newContext({ locale: 'en-US' });
    const b = await web.browser.newContext({ locale: 'en-US' });
    try {
      const ana = await a.newPage();
      const bruno = await b.newPage();
      await signUp(ana, web.server.url, 'ana');
      await signUp(bruno, web.server.url, 'bruno');
      await openChatWith(ana, 'bruno');
      await sendMessage(ana, 'antes');
      await bruno.getByRole('button', { name: /Chat with ana/ }).click();
      await bubbles(bruno, 'antes').waitFor();

      await a.setOffline(true);
      await ana.getByText('Offline — messages will be sent when you are back online').first().waitFor();
      await sendMessage(ana, 'sin red');
      await bubbles(ana, 'sin red').getByRole('img', { name: 'Waiting to send' }).waitFor();
      await bruno.waitForTimeout(1000);
      assert.equal(await bubbles(bruno, 'sin red').count(), 0, 'nothing leaves while offline');

      await a.setOffline(false);
      await bubbles(bruno, 'sin red').waitFor();
      await bubbles(ana, 'sin red').getByRole('img', { name: /^(Sent|Delivered|Read)$/ }).waitFor();
      await bruno.waitForTimeout(1000);
      assert.equal(await bubbles(bruno, 'sin red').count(), 1, 'delivered exactly once');
      assert.equal(await bubbles(ana, 'sin red').count(), 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('the app starts offline from the service worker cache after one visit', async () => {
    const context = await web.browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await signUp(page, web.server.url, 'carla');
      // The service worker has installed (precached the app) and controls the page.
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
      const cached = await page.evaluate(async () => {
        const urls: string[] = [];
        for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
        return urls;
      });
      assert.ok(cached.includes('/') && cached.some((u) => u.startsWith('/assets/')), 'the app shell is cached');
      assert.deepEqual(cached.filter((u) => u.startsWith('/v1/')), [], 'the API is never cached');
      // Chromium's own installability check (manifest, icons, service worker).
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
      // (Test contexts are incognito profiles, where nothing installs: that one reason is expected.)
      assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'), []);
      await context.setOffline(true);
      await page.reload();
      await page.getByRole('heading', { name: 'Chats' }).waitFor();
      await page.getByText('Offline — messages will be sent when you are back online').first().waitFor();
    } finally {
      await context.close();
    }
  });
});

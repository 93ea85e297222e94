import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bootWebServer, browserMissing, bubbles, launchBrowser, openChatWith, sendMessage, signUp, type WebServer } from './browser.ts';

describe('disappearing messages and safety numbers in the web app', { skip: browserMissing() }, () => {
  let server: WebServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let ana: Page;
  let bruno: Page;
  before(async () => {
    server = await bootWebServer();
    browser = await launchBrowser();
    for (const name of ['ana', 'bruno']) {
      const context = await browser.newContext({ locale: 'en-US' });
      contexts.push(context);
      const page = await context.newPage();
      await signUp(page, server.url, name);
      if (name === 'ana') ana = page;
      else bruno = page;
    }
    await openChatWith(ana, 'bruno');
    await sendMessage(ana, 'hola');
    await bruno.getByRole('button', { name: /Chat with ana/ }).click();
    await bubbles(bruno, 'hola').waitFor();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.close();
  });

  test('safety numbers: 12 groups of 5 digits and a QR code, the same in both browsers', async () => {
    const read = async (page: Page, peer: string): Promise<string[]> => {
      await page.getByRole('button', { name: 'Chat info' }).click();
      const dialog = page.getByRole('dialog', { name: 'Chat info' });
      await dialog.getByRole('heading', { name: `Your safety number with ${peer}` }).waitFor();
      await dialog.getByRole('img', { name: `Safety number with ${peer} as a QR code` }).waitFor();
      const groups = (await dialog.getByRole('group', { name: 'Safety number' }).innerText()).split(/\s+/).filter(Boolean);
      await dialog.getByRole('button', { name: 'Close' }).click();
      return groups;
    };
    const a = await read(ana, 'bruno');
    const b = await read(bruno, 'ana');
    assert.equal(a.length, 12);
    for (const g of a) assert.match(g, /^\d{5}$/);
    assert.deepEqual(a, b);
  });

  test('disappearing messages: a notice in the chat, ⏱ on the bubble, gone from both browsers after 30 s', async () => {
    await ana.getByRole('button', { name: 'Chat info' }).click();
    const dialog = ana.getByRole('dialog', { name: 'Chat info' });
    await dialog.getByRole('radio', { name: '30 seconds' }).check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await ana.getByText('You set messages to disappear after 30 seconds.').waitFor();
    await bruno.getByText('ana set messages to disappear after 30 seconds.').waitFor();
    await bruno.getByText('Disappearing messages are on: new messages vanish after 30 seconds.').waitFor();

    await sendMessage(ana, 'esto se borra solo');
    const mine = bubbles(ana, 'esto se borra solo');
    const theirs = bubbles(bruno, 'esto se borra solo');
    await theirs.getByRole('img', { name: 'Disappearing message' }).waitFor();
    await mine.getByRole('img', { name: 'Disappearing message' }).waitFor();
    assert.equal(await bubbles(bruno, 'hola').getByRole('img', { name: 'Disappearing message' }).count(), 0, 'earlier messages keep no timer');

    await theirs.waitFor({ state: 'detached', timeout: 45_000 });
    await mine.waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await bubbles(bruno, 'hola').count(), 1, 'messages from before the timer stay');

    // Turning it off is announced too, and new messages stay.
    await bruno.getByRole('button', { name: 'Chat info' }).click();
    await bruno.getByRole('dialog', { name: 'Chat info' }).getByRole('radio', { name: 'Off' }).check();
    await bruno.getByRole('dialog', { name: 'Chat info' }).getByRole('button', { name: 'Close' }).click();
    await ana.getByText('bruno turned off disappearing messages.').waitFor();
  });

  test('a changed safety number shows a plain-language notice in the chat that leads to the number', async () => {
    await ana.getByRole('button', { name: 'New chat' }).click();
    await ana.getByRole('button', { name: 'New group' }).click();
    const newGroup = ana.getByRole('dialog', { name: 'New group' });
    await newGroup.getByLabel('Group name').fill('pareja');
    await newGroup.getByRole('checkbox', { name: 'bruno' }).check();
    await newGroup.getByRole('button', { name: 'Create group' }).click();
    await ana.getByRole('heading', { name: 'pareja', level: 1 }).waitFor();

    // Make Ana's browser remember another key for Bruno, as if the server now presented a new one.
    await ana.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('charla');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const tx = db.transaction('kv', 'readwrite');
      const store = tx.objectStore('kv');
      const range = IDBKeyRange.bound(['contacts', '@bruno:'], ['contacts', '@bruno:\uffff']);
      const request = store.openCursor(range);
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return;
        cursor.update({ ...(cursor.value as object), accountPublicKey: crypto.getRandomValues(new Uint8Array(32)), keyChanged: false });
      };
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    });
    await ana.getByRole('button', { name: /Chat with bruno/ }).click();
    const notice = ana.getByText('bruno’s safety number changed.', { exact: false });
    await notice.waitFor();
    assert.match(await notice.innerText(), /set up Charla again or on a new device/);
    await ana.getByRole('button', { name: 'Check safety number' }).click();
    await ana.getByRole('dialog', { name: 'Chat info' }).getByRole('heading', { name: 'Your safety number with bruno' }).waitFor();
    await ana.getByRole('dialog', { name: 'Chat info' }).getByRole('button', { name: 'Close' }).click();

    // Groups Bruno is in say it too, and lead to his number.
    await ana.getByRole('button', { name: /Group pareja/ }).click();
    await ana.getByText('bruno’s safety number changed.', { exact: false }).waitFor();
    await ana.getByRole('button', { name: 'Check safety number' }).click();
    await ana.getByRole('dialog', { name: 'Safety number' }).getByRole('heading', { name: 'Your safety number with bruno' }).waitFor();
  });
});

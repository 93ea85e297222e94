import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, signUp, useWebSuite } from './browser.ts';

const COUNT = 10_000;

/** Writes one group chat with `count` messages straight into the app's IndexedDB, in the SDK's record shapes. */
function seedChat(count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('charla', 1);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const read = db.transaction('kv').objectStore('kv').get(['profile', 'self']);
      read.onerror = () => reject(read.error);
      read.onsuccess = () => {
        const me = (read.result as { userId: string }).userId;
        const tx = db.transaction('kv', 'readwrite');
        const kv = tx.objectStore('kv');
        const id = 'seeded-chat';
        const start = Date.now() - (count + 1) * 60_000;
        const last = start + count * 60_000;
        kv.put({ id, type: 'group', name: 'Long chat', groupIds: [], members: [me], admins: [me], timerSeconds: 0, lastMessageAt: last, readUpTo: last, unread: 0, left: false }, ['convs', id]);
        for (let i = 1; i <= count; i++) {
          const ts = start + i * 60_000;
          const mid = `seeded-${i}`;
          const key = `${id}|${String(ts).padStart(15, '0')}|${mid}`;
          const text = `message ${i}${i % 5 === 0 ? ' that is long enough to wrap onto another line in a narrow window, so rows differ in height' : ''}`;
          kv.put({ id: mid, conversationId: id, groupId: 'g', sender: me, senderDevice: 'd', outgoing: true, ts, text, reactions: {}, edited: false, deleted: false, status: 'read' }, ['msgs', key]);
          kv.put(key, ['msgidx', mid]);
        }
        tx.oncomplete = () => (db.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    };
  });
}

describe('long chats in the web app', { skip: browserMissing() }, () => {
  const web = useWebSuite();

  test('a chat of 10,000 messages opens at the newest, keeps only a window of them in the DOM, and scrolls back to the first', async () => {
    const context = await web.browser.newContext({ locale: 'en-US', viewport: { width: 800, height: 700 } });
    try {
      const page = await context.newPage();
      await signUp(page, web.server.url, 'ines');
      await page.evaluate(seedChat, COUNT);
      await page.reload();
      await page.getByRole('button', { name: /Long chat/ }).click();
      const list = page.getByRole('list', { name: 'Messages' });
      await list.locator('li.bubble', { hasText: `message ${COUNT}` }).waitFor();
      const rendered = await list.locator('li.bubble').count();
      assert.ok(rendered > 5 && rendered < 200, `a window of bubbles is rendered, not all ${COUNT} (got ${rendered})`);
      // The newest message is in view: the chat opened at the bottom.
      assert.equal(await list.locator('li.bubble', { hasText: `message ${COUNT}` }).isVisible(), true);

      // Jumping into rows never measured: as they are measured, what is on screen must not move.
      const drift = await page.evaluate(async () => {
        const ol = document.querySelector<HTMLElement>('ol.messages')!;
        // Positions are read after a frame is painted: what a person saw, not a layout mid-frame.
        const painted = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
        ol.scrollTop -= 20_000;
        await painted();
        await painted();
        const top = ol.getBoundingClientRect().top;
        const seen = Array.from(ol.querySelectorAll<HTMLElement>('li.bubble')).find((b) => b.getBoundingClientRect().top > top + 100)!;
        const text = seen.querySelector('.text')!.textContent;
        const before = seen.getBoundingClientRect().top;
        // Scrolling up a little each frame mounts rows above the view, each of a height only guessed
        // until now: the message must move by exactly the distance scrolled.
        const moved = 30 * 20;
        for (let i = 0; i < 30; i++) {
          ol.scrollTop -= 20;
          await painted();
        }
        const same = Array.from(ol.querySelectorAll<HTMLElement>('li.bubble')).find((b) => b.querySelector('.text')!.textContent === text);
        return same ? Math.abs(same.getBoundingClientRect().top - before - moved) : Infinity;
      });
      assert.ok(drift <= 1, `the message in view stays put while rows around it are measured (off by ${drift} px)`);

      // Scroll up three screens a frame (a fast flick) until the top is reached.
      const steps = await page.evaluate(async () => {
        const ol = document.querySelector<HTMLElement>('ol.messages')!;
        const frame = (): Promise<number> => new Promise((r) => requestAnimationFrame(r));
        let n = 0;
        for (; n < 5_000 && !(ol.scrollTop === 0 && ol.querySelector('li.bubble .text')?.textContent === 'message 1'); n++) {
          ol.scrollTop = Math.max(0, ol.scrollTop - 3 * ol.clientHeight);
          await frame();
        }
        return n;
      });
      assert.ok(steps < 5_000, 'the top was reached');
      const first = list.locator('li.bubble').first();
      assert.equal(await first.locator('.text').textContent(), 'message 1');
      assert.equal(await first.isVisible(), true);
      const atTop = await list.locator('li.bubble').count();
      assert.ok(atTop < 200, `still a window at the top (got ${atTop})`);
      assert.equal(await list.locator('li.bubble', { hasText: `message ${COUNT}` }).count(), 0, 'the newest message left the DOM');
    } finally {
      await context.close();
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, makePng, signUp, useWebSuite } from './browser.ts';

describe('attachments in the web app', { skip: browserMissing() }, () => {
  const web = useWebSuite();

  test('an image shows as a thumbnail, opens decrypted in full; a file downloads with its bytes intact', async () => {
    const a = await web.browser.newContext({ locale: 'en-US', acceptDownloads: true });
    const b = await web.browser.newContext({ locale: 'en-US', acceptDownloads: true });
    try {
      const ana = await a.newPage();
      const bruno = await b.newPage();
      await signUp(ana, web.server.url, 'ana');
      await signUp(bruno, web.server.url, 'bruno');
      await ana.getByRole('button', { name: 'New chat' }).click();
      await ana.getByLabel('Start a chat by username or invite link').fill('bruno');
      await ana.getByRole('button', { name: 'Start chat' }).click();
      await ana.getByRole('heading', { name: 'bruno' }).waitFor();

      const png = makePng(800, 600);
      await ana.getByLabel('Attach a file', { exact: true }).first().setInputFiles([{ name: 'playa.png', mimeType: 'image/png', buffer: png }]);
      await ana.locator('.bubble.out img[alt="playa.png"]').waitFor();

      await bruno.getByRole('button', { name: /Chat with ana/ }).click();
      const thumb = bruno.getByRole('button', { name: 'Open image playa.png' });
      await thumb.waitFor();
      const src = await thumb.locator('img').getAttribute('src');
      assert.match(src ?? '', /^data:image\/jpeg;base64,/);
      await thumb.click();
      const full = bruno.getByRole('dialog', { name: 'playa.png' }).locator('img');
      await full.waitFor();
      assert.match((await full.getAttribute('src')) ?? '', /^blob:/);
      const size = await full.evaluate((img: HTMLImageElement) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
      assert.deepEqual(size, [800, 600]);
      await bruno.getByRole('button', { name: 'Close' }).click();

      const doc = Buffer.from('informe confidencial '.repeat(5000));
      await ana.getByLabel('Attach a file', { exact: true }).first().setInputFiles([{ name: 'informe.txt', mimeType: 'text/plain', buffer: doc }]);
      const download = bruno.getByRole('button', { name: 'Download informe.txt' });
      await download.waitFor();
      const [file] = await Promise.all([bruno.waitForEvent('download'), download.click()]);
      assert.equal(file.suggestedFilename(), 'informe.txt');
      const { readFile } = await import('node:fs/promises');
      assert.deepEqual(await readFile((await file.path())!), doc);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

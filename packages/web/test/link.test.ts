import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, signUp, useWebSuite } from './browser.ts';

describe('[LINK-*] linking a second browser from the first', { skip: browserMissing() }, () => {
  const web = useWebSuite();

  test('a code shown in Settings links a new browser, which gets recent history and new messages', async () => {
    const contexts = await Promise.all([1, 2, 3].map(() => web.browser.newContext({ locale: 'en-US' })));
    try {
      const [ana, bruno, anaPhone] = await Promise.all(contexts.map((c) => c.newPage()));
      await signUp(ana!, web.server.url, 'ana');
      await signUp(bruno!, web.server.url, 'bruno');
      await ana!.getByRole('button', { name: 'New chat' }).click();
      await ana!.getByLabel('Start a chat by username or invite link').fill('bruno');
      await ana!.getByRole('button', { name: 'Start chat' }).click();
      await ana!.getByLabel('Message', { exact: true }).fill('antes de vincular');
      await ana!.getByLabel('Message', { exact: true }).press('Enter');
      await bruno!.getByRole('button', { name: /Chat with ana/ }).click();
      await bruno!.locator('.bubble.in', { hasText: 'antes de vincular' }).waitFor();

      await ana!.getByRole('button', { name: 'Settings' }).click();
      await ana!.getByRole('button', { name: 'Link a new device' }).click();
      const code = (await ana!.getByLabel('Link code').innerText()).trim();
      assert.match(code, /^([0-9A-Z]{4}-){5}[0-9A-Z]{4}$/);

      // The new browser: "Link to my account", type the code. No username, no password.
      await anaPhone!.goto(web.server.url);
      await anaPhone!.getByRole('button', { name: 'Link to my account' }).click();
      await anaPhone!.getByLabel('Link code').fill(code);
      await anaPhone!.getByRole('button', { name: 'Link this browser to your account' }).click();
      await anaPhone!.getByRole('heading', { name: 'Chats' }).waitFor();
      await ana!.getByText('Linked! The new device has your recent chats.').waitFor();

      await anaPhone!.getByRole('button', { name: /Chat with bruno/ }).click();
      await anaPhone!.locator('.bubble.out', { hasText: 'antes de vincular' }).waitFor();
      await bruno!.getByLabel('Message', { exact: true }).fill('para tus dos navegadores');
      await bruno!.getByLabel('Message', { exact: true }).press('Enter');
      await anaPhone!.locator('.bubble.in', { hasText: 'para tus dos navegadores' }).waitFor({ timeout: 20_000 });
    } finally {
      await Promise.all(contexts.map((c) => c.close()));
    }
  });
});

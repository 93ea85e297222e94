import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, signUp, useWebSuite } from './browser.ts';

describe('devices in the web app', { skip: browserMissing() }, () => {
  const web = useWebSuite();

  test('a second browser logs in to the account; the first lists both devices and removes the second after confirming', async () => {
    const first = await web.browser.newContext({ locale: 'en-US' });
    const second = await web.browser.newContext({ locale: 'en-US' });
    try {
      const home = await first.newPage();
      await signUp(home, web.server.url, 'ana');

      const other = await second.newPage();
      await other.goto(web.server.url);
      await other.getByRole('button', { name: 'I already have an account' }).click();
      await other.getByLabel('Username').fill('ana');
      await other.getByLabel('Password').fill('a safe password');
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.getByRole('heading', { name: 'Chats' }).waitFor();

      await home.getByRole('button', { name: 'Settings' }).click();
      const settings = home.getByRole('dialog', { name: 'Settings' });
      const devices = settings.getByRole('list').filter({ has: home.getByText('This device') });
      await devices.getByRole('listitem').nth(1).waitFor();
      assert.equal(await devices.getByRole('listitem').count(), 2);
      assert.equal(await devices.getByText('This device').count(), 1);
      assert.match(await devices.innerText(), /Added /);

      // Removing asks first; cancelling keeps the device.
      const remove = devices.getByRole('button', { name: /^Remove / });
      assert.equal(await remove.count(), 1, 'only the other device can be removed');
      await remove.click();
      const confirm = settings.getByRole('group', { name: /^Remove / });
      await confirm.getByText(/It will be signed out/).waitFor();
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      assert.equal(await devices.getByRole('listitem').count(), 2);

      await devices.getByRole('button', { name: /^Remove / }).click();
      await settings.getByRole('group', { name: /^Remove / }).getByRole('button', { name: 'Remove', exact: true }).click();
      await devices.getByRole('listitem').nth(1).waitFor({ state: 'detached' });
      assert.equal(await devices.getByRole('listitem').count(), 1);

      // The removed browser is told, in words, and stops.
      await other.getByText('This device was removed from your account.', { exact: false }).waitFor();
    } finally {
      await first.close();
      await second.close();
    }
  });
});

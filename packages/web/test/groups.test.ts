import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bootWebServer, browserMissing, bubbles as bubble, launchBrowser, sendMessage, signUp, type WebServer } from './browser.ts';

describe('groups in the web app', { skip: browserMissing() }, () => {
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

  const person = async (name: string): Promise<Page> => {
    const context = await browser.newContext({ locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    await signUp(page, server.url, name);
    return page;
  };

  test('a third person joins, everyone reads everyone; a removed member stops receiving; admins rename', async () => {
    const [ana, bruno, carla] = [await person('ana'), await person('bruno'), await person('carla')];

    // Ana makes a group with Bruno, adding him by username.
    await ana.getByRole('button', { name: 'New chat' }).click();
    await ana.getByRole('button', { name: 'New group' }).click();
    const dialog = ana.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('amigos');
    await dialog.getByLabel('Add someone by username').fill('bruno');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByRole('checkbox', { name: 'bruno' }).waitFor();
    assert.equal(await dialog.getByRole('checkbox', { name: 'bruno' }).isChecked(), true);
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await ana.getByRole('heading', { name: 'amigos' }).waitFor();
    await sendMessage(ana, 'hola amigos');

    await bruno.getByRole('button', { name: /Group amigos/ }).click();
    const fromAna = bubble(bruno, 'hola amigos');
    await fromAna.waitFor();
    assert.match(await fromAna.innerText(), /^ana\n/, 'group messages show who sent them');

    // Ana adds Carla from the group info panel; all three then read each other.
    await ana.getByRole('button', { name: 'Group info' }).click();
    const info = ana.getByRole('dialog', { name: 'Group info' });
    await info.getByText('2 members').waitFor();
    await info.getByRole('button', { name: 'Add people' }).click();
    await info.getByLabel('Add someone by username').fill('carla');
    await info.getByLabel('Add someone by username').press('Enter');
    await info.getByRole('checkbox', { name: 'carla' }).waitFor();
    await info.getByRole('button', { name: 'Add to group' }).click();
    await info.getByText('3 members').waitFor();
    await info.getByRole('button', { name: 'Close' }).click();

    await carla.getByRole('button', { name: /Group amigos/ }).click();
    await sendMessage(carla, 'hola, soy carla');
    await bubble(ana, 'hola, soy carla').waitFor();
    await bubble(bruno, 'hola, soy carla').waitFor();
    await sendMessage(bruno, 'bienvenida carla');
    await bubble(ana, 'bienvenida carla').waitFor();
    await bubble(carla, 'bienvenida carla').waitFor();
    await ana.getByText('carla joined.').waitFor();

    // Ana makes Bruno an admin; he renames the group and everyone sees the new name.
    await ana.getByRole('button', { name: 'Group info' }).click();
    await info.getByRole('button', { name: 'Make bruno an admin' }).click();
    await info.getByRole('button', { name: 'Remove bruno as admin' }).waitFor();
    await bruno.getByRole('button', { name: 'Group info' }).click();
    const brunoInfo = bruno.getByRole('dialog', { name: 'Group info' });
    await brunoInfo.getByLabel('Group name').fill('los amigos');
    await brunoInfo.getByRole('button', { name: 'Rename' }).click();
    await brunoInfo.getByRole('button', { name: 'Close' }).click();
    await ana.getByRole('heading', { name: 'los amigos', level: 1 }).waitFor();
    await carla.getByRole('heading', { name: 'los amigos' }).waitFor();

    // Ana removes Carla: Carla reads nothing written after, and can no longer write.
    await info.getByRole('button', { name: 'Remove carla from the group' }).click();
    await info.getByText('2 members').waitFor();
    await info.getByRole('button', { name: 'Close' }).click();
    await sendMessage(ana, 'solo nosotros');
    await bubble(bruno, 'solo nosotros').waitFor();
    await carla.getByText('You are no longer in this group.').waitFor();
    await bruno.waitForTimeout(500);
    assert.equal(await bubble(carla, 'solo nosotros').count(), 0, 'a removed member must not read new messages');
    assert.equal(await carla.getByRole('textbox', { name: 'Message', exact: true }).count(), 0);

    // Bruno leaves: Ana sees it, and Bruno's chat closes for writing.
    await bruno.getByRole('button', { name: 'Group info' }).click();
    await brunoInfo.getByRole('button', { name: 'Leave group' }).click();
    await brunoInfo.getByRole('button', { name: 'Leave', exact: true }).click();
    await bruno.getByText('You are no longer in this group.').waitFor();
    await ana.getByText('bruno is no longer in the group.').waitFor();
  });
});

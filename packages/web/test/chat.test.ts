import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { bootWebServer, browserMissing, launchBrowser, type WebServer } from './browser.ts';

const skip = browserMissing();

describe('the web app in two browsers', { skip }, () => {
  let server: WebServer;
  let browser: Browser;

  before(async () => {
    server = await bootWebServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Counts what a person does: typing into a field, clicking, pressing a key. */
  function actions(page: Page) {
    let count = 0;
    return {
      get count() {
        return count;
      },
      async fill(label: string | RegExp, value: string) {
        count++;
        await page.getByLabel(label, { exact: true }).fill(value);
      },
      async click(role: 'button', name: string | RegExp) {
        count++;
        await page.getByRole(role, { name }).click();
      },
      async press(label: string | RegExp, key: string) {
        count++;
        await page.getByLabel(label, { exact: true }).press(key);
      },
    };
  }

  test('sign up, invite link to a sent "hola" in at most 6 actions, then reply, react, edit, delete', async () => {
    const anaContext = await browser.newContext({ locale: 'es-ES' });
    const brunoContext = await browser.newContext({ locale: 'en-US' });
    const ana = await anaContext.newPage();
    const bruno = await brunoContext.newPage();
    try {
      // Ana signs up: a username and a password, nothing else.
      await ana.goto(server.url);
      await ana.getByLabel('Elige un nombre de usuario').fill('ana');
      await ana.getByLabel('Elige una contraseña').fill('contraseña segura');
      await ana.getByRole('button', { name: 'Empezar a chatear' }).click();
      await ana.getByRole('heading', { name: 'Chats' }).waitFor();
      await ana.getByRole('button', { name: 'Invitar' }).click();
      const link = await ana.getByRole('dialog').getByRole('textbox').inputValue();
      assert.match(link, /\/i\/ana#[A-Za-z0-9_-]{22}$/);
      await ana.getByRole('button', { name: 'Cerrar' }).click();

      // Bruno opens the link in a new browser and is chatting after a handful of actions.
      await bruno.goto(link);
      const bob = actions(bruno);
      await bruno.getByText('ana invited you to chat on Charla').waitFor();
      await bob.fill('Pick a username', 'bruno');
      await bob.fill('Pick a password', 'a safe password');
      await bob.click('button', 'Start chatting');
      await bruno.getByRole('heading', { name: 'ana' }).waitFor();
      await bob.fill('Message', 'hola');
      await bob.press('Message', 'Enter');
      assert.ok(bob.count <= 6, `took ${bob.count} actions`);

      await ana.getByRole('button', { name: /Chat con bruno/ }).click();
      const hola = ana.locator('.bubble.in', { hasText: 'hola' });
      await hola.waitFor();

      // Ana replies to it; Bruno sees the reply with its quote.
      await hola.getByRole('button', { name: 'Acciones del mensaje' }).click();
      await ana.getByRole('menuitem', { name: 'Responder' }).click();
      await ana.getByLabel('Mensaje', { exact: true }).fill('¡hola bruno!');
      await ana.getByLabel('Mensaje', { exact: true }).press('Enter');
      const reply = bruno.locator('.bubble.in', { hasText: '¡hola bruno!' });
      await reply.waitFor();
      assert.equal(await reply.locator('.quote').innerText(), 'hola');

      // Bruno reacts; Ana sees the reaction.
      await reply.getByRole('button', { name: 'Message actions' }).click();
      await bruno.getByRole('menuitem', { name: 'React 👍' }).click();
      await ana.locator('.bubble.out', { hasText: '¡hola bruno!' }).locator('.reactions', { hasText: '👍' }).waitFor();

      // Bruno edits, then deletes his message for everyone.
      const mine = bruno.locator('.bubble.out', { hasText: 'hola' }).first();
      await mine.getByRole('button', { name: 'Message actions' }).click();
      await bruno.getByRole('menuitem', { name: 'Edit' }).click();
      await bruno.getByLabel('Message', { exact: true }).fill('hola, ana');
      await bruno.getByLabel('Message', { exact: true }).press('Enter');
      await ana.locator('.bubble.in', { hasText: 'hola, ana' }).getByText('editado').waitFor();
      await bruno.locator('.bubble.out', { hasText: 'hola, ana' }).getByRole('button', { name: 'Message actions' }).click();
      await bruno.getByRole('menuitem', { name: 'Delete for everyone' }).click();
      await ana.locator('.bubble.in .text.deleted', { hasText: 'Se eliminó este mensaje' }).waitFor();
      assert.equal(await ana.locator('.bubble.in', { hasText: 'hola, ana' }).count(), 0);

      // Read ticks: Ana has the chat open, so Bruno's later message shows as read.
      await bruno.getByLabel('Message', { exact: true }).fill('¿lo leíste?');
      await bruno.getByLabel('Message', { exact: true }).press('Enter');
      await bruno.locator('.bubble.out', { hasText: '¿lo leíste?' }).locator('.ticks.read').waitFor();
    } finally {
      await anaContext.close();
      await brunoContext.close();
    }
  });
});

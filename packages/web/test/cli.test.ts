import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { bootWebServer, browserMissing, bubbles, launchBrowser, openChatWith, sendMessage, signUp, type WebServer } from './browser.ts';

const BIN = fileURLToPath(new URL('../../cli/bin/charla.js', import.meta.url));

describe('the web app and the command line talk to each other', { skip: browserMissing() }, () => {
  let server: WebServer;
  let browser: Browser;
  let home: string;

  /** Runs `charla` as a child process with its own profile, like a person in a terminal. */
  const charla = (args: string[], stdin = ''): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, CHARLA_SERVER: server.url, CHARLA_PROFILE: join(home, 'dora') }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`charla ${args.join(' ')} failed: ${stderr}${stdout}`)) : resolve(stdout)),
      );
      child.stdin?.end(stdin);
    });

  before(async () => {
    server = await bootWebServer();
    browser = await launchBrowser();
    home = await mkdtemp(join(tmpdir(), 'charla-web-cli-'));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rm(home, { recursive: true, force: true });
  });

  test('a web user and a CLI user chat both ways, 1:1 and in a group the CLI makes', async () => {
    await charla(['register', '--username', 'dora', '--password-stdin'], 'una contraseña larga\n');
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const ana = await context.newPage();
      await signUp(ana, server.url, 'ana');

      await openChatWith(ana, 'dora');
      await sendMessage(ana, 'hola desde la web');
      await bubbles(ana, 'hola desde la web').getByRole('img', { name: /^(Sent|Delivered|Read)$/ }).waitFor();
      assert.match(await charla(['history', 'ana']), /ana: hola desde la web/);

      await charla(['send', 'ana', 'hola desde la terminal']);
      await bubbles(ana, 'hola desde la terminal').waitFor();

      await charla(['group', 'create', 'mixto', '--members', 'ana']);
      await charla(['send', 'mixto', 'grupo desde la terminal']);
      await ana.getByRole('button', { name: /Group mixto/ }).click();
      const fromCli = bubbles(ana, 'grupo desde la terminal');
      await fromCli.waitFor();
      assert.match(await fromCli.innerText(), /^dora\n/);
      await sendMessage(ana, 'y yo desde la web');
      await bubbles(ana, 'y yo desde la web').getByRole('img', { name: /^(Sent|Delivered|Read)$/ }).waitFor();
      assert.match(await charla(['history', 'mixto']), /ana: y yo desde la web/);
    } finally {
      await context.close();
    }
  });
});

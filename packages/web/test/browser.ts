import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import zlib from 'node:zlib';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { loadConfig, startServer } from '@charla/server';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. In CI a missing browser is a failure. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env['CI']) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  return `skipped: ${CHROMIUM} is not installed (apt-get install chromium)`;
}

const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: BASE_ARGS });
}

/**
 * A browser for pages that carry media (rooms): a fake camera and microphone, no permission
 * prompts, loopback ICE candidates. Only inside a loopback-only namespace (inLoopbackNamespace).
 */
export function launchMediaBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...BASE_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'],
  });
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** A real server (serving the built web app) on a free loopback port; `env` adds settings. */
export async function bootWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'charla-web-'));
  const server = await startServer(
    loadConfig({ CHARLA_PORT: '0', CHARLA_DATA_DIR: dataDir, CHARLA_LOG_LEVEL: 'silent', CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_SQLITE_SYNCHRONOUS: 'normal', ...env }),
  );
  // The page must use the same origin the server puts in user ids and invite links.
  return {
    url: server.publicUrl,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A real PNG (a colour gradient) built in memory, for attachment tests. */
export function makePng(width: number, height: number): Buffer {
  const { deflateSync } = zlib;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / width;
      raw[o + 1] = (y * 255) / height;
      raw[o + 2] = 128;
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Signs a new user up in `page` (English UI) and waits for the chat list. */
export async function signUp(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Pick a username').fill(username);
  await page.getByLabel('Pick a password').fill('a safe password');
  await page.getByRole('button', { name: 'Start chatting' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
}

/** Controls without an accessible name (a crude but useful subset of the accname rules). */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (el: Element): boolean => {
      if (el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby') || el.getAttribute('title')?.trim()) return true;
      if ((el as HTMLInputElement).labels?.length) return true;
      if (el.tagName === 'BUTTON' && el.textContent?.trim()) return true;
      return false;
    };
    return Array.from(document.querySelectorAll('button, input:not([type=hidden]), select, textarea, [role=button], a[href]'))
      .filter((el) => !(el as HTMLElement).hidden && !named(el) && !(el.tagName === 'A' && el.textContent?.trim()))
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

/** Types `text` into the open chat's composer and sends it with Enter, as a person would. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** The message bubbles of the open chat that contain `text` (notices and separators excluded). */
export function bubbles(page: Page, text: string | RegExp): Locator {
  return page.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text }).filter({ has: page.locator('time') });
}

/** Opens (creating if needed) the 1:1 chat with `username` from the chat list. */
export async function openChatWith(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Start a chat by username or invite link').fill(username);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.getByRole('heading', { name: username, level: 1 }).waitFor();
}

/**
 * A server and a browser for the tests of one describe block: started before them, stopped after.
 * Read `web.server` and `web.browser` inside tests (they exist once the before hook ran).
 */
export function useWebSuite(): { readonly server: WebServer; readonly browser: Browser } {
  const web = {} as { server: WebServer; browser: Browser };
  before(async () => {
    web.server = await bootWebServer();
    web.browser = await launchBrowser();
  });
  after(async () => {
    await web.browser?.close();
    await web.server?.close();
  });
  return web;
}

/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// DOM types: part of this file runs in the page (Playwright serialises those functions).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig, startServer } from '@charla/server';
import { CharlaClient, MemoryStore, registerAccount } from '@charla/sdk';
import type { Options } from '../options.ts';
import { REPO } from '../targets.ts';

const CHROMIUM = '/usr/bin/chromium';
const DIST = join(REPO, 'packages/web/dist');
const CONVERSATIONS = 1_000;
const MESSAGES = 10_000;
const BIG_CHAT = 'Bench 10k';

export interface WebResult {
  conversations: number;
  messages: number;
  /** Navigation start → first chat row visible and focused, per reload, ms. */
  chatListInteractiveMs: number[];
  chatListInteractiveP50Ms: number;
  /** Chat rows in the DOM once interactive (of `conversations`). */
  chatRowsInDom: number;
  scroll: { stepPx: number; frames: number; p50Ms: number; p95Ms: number; over16msPct: number; totalMs: number; reachedFirst: boolean; maxBubblesInDom: number };
  newMessage: { samples: number; domP50Ms: number; domP95Ms: number; paintP50Ms: number; paintP95Ms: number };
  initialJs: { files: string[]; rawBytes: number; gzipBytes: number };
}

/**
 * The web app in Chromium against a real server: sign up through the UI, seed IndexedDB with 1,000
 * chats and one of 10,000 messages (in the SDK's record shapes), reload, and measure time to an
 * interactive chat list, frame times while scrolling the big chat to its start, first paint of
 * messages arriving on the socket, and the first screen's JavaScript gzipped.
 */
export async function runWeb(o: Options): Promise<WebResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  execFileSync(process.execPath, [join(REPO, 'packages/web/scripts/ensure-built.ts')], { stdio: 'ignore' });
  const dataDir = await mkdtemp(join(tmpdir(), 'charla-bench-web-'));
  const server = await startServer(
    loadConfig({ CHARLA_PORT: '0', CHARLA_DATA_DIR: dataDir, CHARLA_LOG_LEVEL: 'silent', CHARLA_ARGON2_MEMORY_KIB: '64', CHARLA_SQLITE_SYNCHRONOUS: 'normal' }),
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let bot: CharlaClient | undefined;
  try {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    await context.addInitScript(instrument);
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(server.publicUrl);
    await page.getByLabel('Pick a username').fill('webbench');
    await page.getByLabel('Pick a password').fill('a safe password');
    await page.getByRole('button', { name: 'Start chatting' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.evaluate(seed, { conversations: CONVERSATIONS, messages: MESSAGES, bigChat: BIG_CHAT });

    // (a) and (d): a cold-ish reload (HTTP cache kept, as for a returning user) to an interactive list.
    const chatListInteractiveMs: number[] = [];
    let chatRowsInDom = 0;
    let scripts: string[] = [];
    for (let i = 0; i < (o.quick ? 3 : 7); i++) {
      await page.reload();
      const r = await page.waitForFunction(interactiveList, CONVERSATIONS, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue() as Promise<Interactive>);
      chatListInteractiveMs.push(r.at);
      chatRowsInDom = r.rows;
      scripts = r.scripts;
    }
    const initialJs = gzipSizes(scripts);

    // (b) Scroll the 10,000-message chat from the newest message to the first, a step per frame.
    await page.getByRole('button', { name: new RegExp(BIG_CHAT) }).click();
    await page.locator('li.bubble', { hasText: `message ${MESSAGES}` }).waitFor();
    await page.waitForTimeout(500);
    const stepPx = 600;
    const scroll = await page.evaluate(scrollToTop, { stepPx, first: 'message 1' });

    // (c) A second client (the SDK in Node) writes; the page has the chat open.
    const store = new MemoryStore();
    await registerAccount(store, { serverUrl: server.publicUrl, username: 'benchbot', password: 'correct horse battery' });
    bot = await CharlaClient.open(store);
    await bot.connect();
    const dm = await bot.openDirect('webbench');
    await bot.sendText(dm.id, 'hello');
    await page.getByRole('button', { name: /benchbot/ }).click();
    await page.locator('li.bubble', { hasText: 'hello' }).waitFor();
    const dom: number[] = [];
    const paint: number[] = [];
    for (let i = 0; i < (o.quick ? 10 : 20); i++) {
      await page.evaluate(() => ((window as unknown as Bench).__bench.mark = performance.now()));
      const text = `ping ${i}`;
      await bot.sendText(dm.id, text);
      const r = await page.waitForFunction(arrival, text, { timeout: 30_000 }).then((h) => h.jsonValue() as Promise<Arrival>);
      dom.push(r.dom);
      paint.push(r.paint);
      await page.waitForTimeout(150);
    }
    await context.close();
    return {
      conversations: CONVERSATIONS,
      messages: MESSAGES,
      chatListInteractiveMs: chatListInteractiveMs.map(round),
      chatListInteractiveP50Ms: round(pct(chatListInteractiveMs, 50)),
      chatRowsInDom,
      scroll: { stepPx, ...scroll },
      newMessage: { samples: dom.length, domP50Ms: round(pct(dom, 50)), domP95Ms: round(pct(dom, 95)), paintP50Ms: round(pct(paint, 50)), paintP95Ms: round(pct(paint, 95)) },
      initialJs,
    };
  } finally {
    await bot?.close().catch(() => undefined);
    await browser.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function webMarkdown(r: WebResult | { error: string }): string {
  if ('error' in r) return `## Web app (Chromium)\n\nFAILED: ${r.error}`;
  const s = r.scroll;
  return [
    '## Web app (Chromium)',
    '',
    '| measure | result | bar |',
    '|---|---|---|',
    `| chat list interactive, ${r.conversations.toLocaleString('en')} chats (p50 of ${r.chatListInteractiveMs.length} reloads) | ${r.chatListInteractiveP50Ms} ms (${r.chatListInteractiveMs.join(', ')}); ${r.chatRowsInDom} rows in DOM | — |`,
    `| scroll ${r.messages.toLocaleString('en')} messages to the top, ${s.stepPx} px/frame | ${s.frames} frames, p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, ${s.over16msPct} % > 16.7 ms (+1 ms vsync jitter); reached first: ${s.reachedFirst ? 'yes' : 'NO'}; ≤ ${s.maxBubblesInDom} bubbles in DOM | smooth |`,
    `| new message: socket frame → bubble in DOM (${r.newMessage.samples}) | p50 ${r.newMessage.domP50Ms} ms, p95 ${r.newMessage.domP95Ms} ms | — |`,
    `| new message: socket frame → next frame (paint) | p50 ${r.newMessage.paintP50Ms} ms, p95 ${r.newMessage.paintP95Ms} ms | — |`,
    `| initial JS (${r.initialJs.files.length} files) | ${(r.initialJs.gzipBytes / 1024).toFixed(1)} KB gzipped (${(r.initialJs.rawBytes / 1024).toFixed(0)} KB raw) | ≤ 200 KB |`,
  ].join('\n');
}

function gzipSizes(paths: string[]): WebResult['initialJs'] {
  let rawBytes = 0;
  let gzipBytes = 0;
  const files: string[] = [];
  for (const p of paths) {
    const file = join(DIST, p);
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    rawBytes += bytes.length;
    gzipBytes += gzipSync(bytes, { level: 9 }).length;
    files.push(p);
  }
  return { files, rawBytes, gzipBytes };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const round = (x: number): number => Math.round(x * 10) / 10;

// ---- functions run in the page (serialised by Playwright: self-contained) ------------------------

interface Bench {
  __bench: { frames: number[]; mark: number; added: Map<string, { dom: number; paint: number }> };
}

/** Init script: time of every WebSocket frame's arrival, and of every bubble's insertion and next frame. */
function instrument(): void {
  const bench: Bench['__bench'] = { frames: [], mark: 0, added: new Map() };
  (window as unknown as Bench).__bench = bench;
  const Native = window.WebSocket;
  // Our listener is added first, so it runs before the app's on the same frame.
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', () => bench.frames.push(performance.now()));
    }
  };
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records)
      for (const n of r.addedNodes) {
        if (!(n instanceof HTMLElement) || !n.matches('li.bubble')) continue;
        const text = n.querySelector('.text')?.textContent ?? '';
        if (!text.startsWith('ping ') || bench.added.has(text)) continue;
        const entry = { dom: now, paint: 0 };
        bench.added.set(text, entry);
        requestAnimationFrame(() => setTimeout(() => (entry.paint = performance.now())));
      }
  }).observe(document, { childList: true, subtree: true });
}

function seed({ conversations, messages, bigChat }: { conversations: number; messages: number; bigChat: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('charla', 1);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const read = db.transaction('kv').objectStore('kv').get(['profile', 'self']);
      read.onsuccess = () => {
        const me = (read.result as { userId: string }).userId;
        const peer = me.replace(/[^/]*$/, 'someone');
        const tx = db.transaction('kv', 'readwrite');
        const kv = tx.objectStore('kv');
        const now = Date.now();
        // The big chat is the newest, so it is the first row; its messages are a minute apart.
        const start = now - (messages + 1) * 60_000;
        for (let c = 0; c < conversations; c++) {
          const id = `bench-${String(c).padStart(4, '0')}`;
          const big = c === 0;
          const count = big ? messages : 3;
          const last = big ? start + messages * 60_000 : now - (c + 1) * 3_600_000;
          kv.put(
            { id, type: 'group', name: big ? bigChat : `Group ${c}`, groupIds: [], members: [me, peer], admins: [me], timerSeconds: 0, lastMessageAt: last, readUpTo: last, unread: 0, left: false },
            ['convs', id],
          );
          for (let i = 1; i <= count; i++) {
            const ts = big ? start + i * 60_000 : last - (count - i) * 60_000;
            const mid = `${id}-m${i}`;
            const outgoing = i % 3 === 0;
            const key = `${id}|${String(ts).padStart(15, '0')}|${mid}`;
            const text = big ? `message ${i}${i % 7 === 0 ? ' — a longer one that wraps onto a second line in most widths, to vary the row heights a little' : ''}` : `hello ${c}.${i}`;
            kv.put(
              { id: mid, conversationId: id, groupId: 'bench', sender: outgoing ? me : peer, senderDevice: 'd', outgoing, ts, text, reactions: {}, edited: false, deleted: false, status: outgoing ? 'read' : 'delivered' },
              ['msgs', key],
            );
            kv.put(key, ['msgidx', mid]);
          }
        }
        tx.oncomplete = () => (db.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
      read.onerror = () => reject(read.error);
    };
  });
}

/** Polled each frame after a reload: the chat list has every chat and its first row takes focus. */
interface Interactive {
  at: number;
  rows: number;
  scripts: string[];
}

function interactiveList(conversations: number): Interactive | false {
  const row = document.querySelector<HTMLElement>('li[aria-posinset="1"] .chat-row');
  const size = Number(row?.parentElement?.getAttribute('aria-setsize') ?? 0);
  if (!row || size < conversations || row.getBoundingClientRect().height === 0) return false;
  row.focus();
  if (document.activeElement !== row) return false;
  const at = performance.now();
  row.blur();
  const scripts = performance
    .getEntriesByType('resource')
    .map((e) => new URL(e.name))
    .filter((u) => u.origin === location.origin && u.pathname.endsWith('.js'))
    .map((u) => u.pathname.slice(1));
  return { at, rows: document.querySelectorAll('.chat-row').length, scripts: [...new Set(scripts)] };
}

async function scrollToTop({ stepPx, first }: { stepPx: number; first: string }): Promise<Omit<WebResult['scroll'], 'stepPx'>> {
  const list = document.querySelector<HTMLElement>('ol.messages')!;
  const frame = (): Promise<number> => new Promise((r) => requestAnimationFrame(r));
  const deltas: number[] = [];
  let maxBubbles = 0;
  let prev = await frame();
  const t0 = prev;
  // Stop at the top once the first message is rendered (or after 60 s).
  while (prev - t0 < 60_000) {
    list.scrollTop = Math.max(0, list.scrollTop - stepPx);
    const now = await frame();
    deltas.push(now - prev);
    prev = now;
    maxBubbles = Math.max(maxBubbles, list.querySelectorAll('li.bubble').length);
    if (list.scrollTop === 0 && [...list.querySelectorAll('li.bubble .text')].some((t) => t.textContent === first)) break;
  }
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (p: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN) * 10) / 10;
  const reachedFirst = [...list.querySelectorAll('li.bubble .text')].some((t) => t.textContent === first);
  return {
    frames: deltas.length,
    p50Ms: at(50),
    p95Ms: at(95),
    over16msPct: Math.round((deltas.filter((d) => d > 16.7 + 1).length / Math.max(1, deltas.length)) * 1000) / 10,
    totalMs: Math.round(prev - t0),
    reachedFirst,
    maxBubblesInDom: maxBubbles,
  };
}

/** Polled until the bubble with `text` is in the DOM: its times relative to the frame that brought it. */
interface Arrival {
  dom: number;
  paint: number;
}

function arrival(text: string): Arrival | false {
  const b = (window as unknown as Bench).__bench;
  const entry = b.added.get(text);
  if (!entry || entry.paint === 0) return false;
  const frame = b.frames.find((f) => f >= b.mark);
  if (frame === undefined) return false;
  return { dom: entry.dom - frame, paint: entry.paint - frame };
}

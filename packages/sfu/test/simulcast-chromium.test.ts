import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { RTCPeerConnection, useNACK, useOPUS, usePLI, useVP8 } from 'werift';
import { createSfu } from '../src/sfu.ts';
import type { SessionDescription } from '../src/types.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';

/**
 * Layer selection with a real browser: the SFU offers a recvonly video m-line with rids l and h
 * (a=simulcast:recv l;h); Chromium, as the answerer, sends both layers with its default scaling; receivers that want the
 * low layer get smaller key frames, and switching layers keeps sequence numbers continuous.
 */

const thisFile = fileURLToPath(import.meta.url);
const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Width × height of a VP8 key frame's first packet (RFC 6386 §9.1), after the payload descriptor. */
function vp8KeyFrameSize(payload: Buffer): { width: number; height: number } | undefined {
  const first = payload[0] ?? 0;
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return undefined;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++] ?? 0;
    if (ext & 0x80) offset += (payload[offset] ?? 0) & 0x80 ? 2 : 1;
    if (ext & 0x40) offset++;
    if (ext & 0x30) offset++;
  }
  if (((payload[offset] ?? 1) & 0x01) !== 0) return undefined;
  if (payload[offset + 3] !== 0x9d || payload[offset + 4] !== 0x01 || payload[offset + 5] !== 0x2a) return undefined;
  return { width: payload.readUInt16LE(offset + 6) & 0x3fff, height: payload.readUInt16LE(offset + 8) & 0x3fff };
}

type Receiver = { id: string; signal: (offer: SessionDescription) => Promise<SessionDescription>; widths: number[]; seqGaps: number; packets: number; close(): Promise<void> };

function createReceiver(id: string): Receiver {
  const pc = new RTCPeerConnection({
    codecs: { audio: [useOPUS()], video: [useVP8({ rtcpFeedback: [useNACK(), usePLI()] })] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    bundlePolicy: 'max-bundle',
  });
  const receiver: Receiver = {
    id,
    widths: [],
    seqGaps: 0,
    packets: 0,
    signal: async (offer) => {
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      return { type: 'answer', sdp: pc.localDescription?.sdp ?? '' };
    },
    close: () => pc.close(),
  };
  let lastSeq: number | undefined;
  pc.onTrack.subscribe((track) => {
    if (track.kind !== 'video') return;
    track.onReceiveRtp.subscribe((rtp) => {
      receiver.packets++;
      const seq = rtp.header.sequenceNumber;
      if (lastSeq !== undefined) {
        const delta = (seq - lastSeq + 0x10000) & 0xffff;
        if (delta > 1 && delta < 0x8000) receiver.seqGaps += delta - 1;
      }
      lastSeq = seq;
      const size = vp8KeyFrameSize(rtp.payload);
      if (size) receiver.widths.push(size.width);
    });
  });
  return receiver;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>publisher</title><script>
window.setup = async () => {
  window.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
};
window.answer = async (sdp) => {
  await pc.setRemoteDescription({ type: 'offer', sdp });
  const recvonlyMids = sdp.split(/\\r?\\nm=/).slice(1).filter((m) => /\\na=recvonly/.test(m)).map((m) => /\\na=mid:(\\S+)/.exec(m)[1]);
  for (const t of pc.getTransceivers()) {
    if (!recvonlyMids.includes(t.mid) || t.sender.track) continue;
    const track = stream.getTracks().find((x) => x.kind === t.receiver.track.kind);
    t.direction = 'sendonly';
    await t.sender.replaceTrack(track);
  }
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  const video = pc.getTransceivers().find((t) => t.sender.track && t.sender.track.kind === 'video');
  // No setParameters: Chromium's default encodings, whose scale follows the rid order of the offer.
  if (video) window.encodings = video.sender.getParameters().encodings.map((e) => ({ rid: e.rid, scale: e.scaleResolutionDownBy }));
  return pc.localDescription.sdp;
};
</script>`;

inLoopbackNamespace('sfu simulcast with Chromium', thisFile, () => {
  describe('simulcast layer selection', () => {
    it('Chromium answers a recvonly offer with rids l;h by sending both; receivers get the layer their view asks for', { timeout: 90_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} missing` }, async () => {
      const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'],
      });
      const sfu = createSfu({ iceAdditionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' }, simulcast: true, keyFrameRequestIntervalMs: 500 });
      const high = createReceiver('high');
      const low = createReceiver('low');
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
        await page.evaluate(() => (globalThis as unknown as { setup(): Promise<void> }).setup());
        let answerSdp = '';
        const publisher = sfu.join('room', 'pub', async (offer) => {
          answerSdp = await page.evaluate((sdp) => (globalThis as unknown as { answer(s: string): Promise<string> }).answer(sdp), offer.sdp);
          return { type: 'answer', sdp: answerSdp };
        });
        await publisher.negotiated();
        assert.match(answerSdp, /a=simulcast:send l;h/, 'Chromium did not answer with simulcast');

        // What arrives at the SFU, per rid.
        const perRid = new Map<string, { packets: number; widths: Set<number> }>();
        const watched = new Set<unknown>();
        const watch = () => {
          for (const t of publisher.pc.getTransceivers()) {
            for (const track of t.receiver.tracks) {
              if (track.kind !== 'video' || watched.has(track)) continue;
              watched.add(track);
              const rid = track.rid ?? '';
              perRid.set(rid, { packets: 0, widths: new Set() });
              track.onReceiveRtp.subscribe((rtp) => {
                const entry = perRid.get(rid)!;
                entry.packets++;
                const size = vp8KeyFrameSize(rtp.payload);
                if (size) entry.widths.add(size.width);
              });
            }
          }
        };
        sfu.join('room', 'high', high.signal);
        sfu.join('room', 'low', low.signal, { lowQuality: true });
        const deadline = Date.now() + 20_000;
        while ((high.widths.length === 0 || low.widths.length === 0) && Date.now() < deadline) {
          watch();
          await sleep(200);
        }
        await sleep(2000);
        watch();
        const encodings = await page.evaluate(() => (globalThis as unknown as { encodings: unknown }).encodings);
        const summary = JSON.stringify({ encodings, perRid: [...perRid].map(([rid, e]) => [rid, e.packets, [...e.widths]]), high: high.widths, low: low.widths });
        assert.ok((perRid.get('h')?.packets ?? 0) > 5 && (perRid.get('l')?.packets ?? 0) > 5, `both layers reach the SFU: ${summary}`);
        const highWidth = Math.max(...high.widths);
        const lowWidth = Math.max(...low.widths);
        assert.ok(high.widths.length > 0 && low.widths.length > 0, `both receivers got key frames: ${summary}`);
        assert.ok(lowWidth < highWidth, `the low receiver gets a smaller picture: ${summary}`);

        // The low receiver switches to the high layer: bigger key frames, no sequence gap.
        const before = low.widths.length;
        sfu.setView('low', { lowQuality: false });
        const switchDeadline = Date.now() + 10_000;
        while (!low.widths.slice(before).some((w) => w === highWidth) && Date.now() < switchDeadline) await sleep(100);
        assert.ok(low.widths.slice(before).includes(highWidth), `switched to the high layer: ${JSON.stringify(low.widths)}`);
        assert.equal(low.seqGaps, 0, 'sequence gap at the layer switch');
        assert.equal(high.seqGaps, 0);
        console.log(`simulcast: ${summary}`);
      } finally {
        await sfu.close();
        await Promise.all([high.close(), low.close()]);
        await browser.close();
        http.close();
      }
    });
  });
});

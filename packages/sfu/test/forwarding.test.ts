import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useNACK,
  useOPUS,
  usePLI,
  useVP8,
  type RTCRtpSender,
} from 'werift';
import { createSfu, type SessionDescription, type Sfu } from '../src/sfu.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';
import { sleep, waitFor } from './wait.ts';

// Rule: no media test may offer the machine's other addresses as ICE candidates, so this file
// re-executes itself inside a fresh network namespace that has only loopback.
const thisFile = fileURLToPath(import.meta.url);

inLoopbackNamespace('sfu forwarding', thisFile, () => {
  describe('sfu forwarding', () => {
    it('forwards unaltered payloads between three peers, to a late joiner, and stops after leave', { timeout: 30_000 }, async () => {
      await runScenario();
    });
  });
});

const loopback = { iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' } };
type Client = {
  id: string;
  pc: RTCPeerConnection;
  /** payloads this client sent, by sequence number */
  sent: Map<number, Buffer>;
  /** from publisher id → payloads received */
  received: Map<string, Buffer[]>;
  keyFrameRequests: number;
  sender?: RTCRtpSender;
  signal: (offer: SessionDescription) => Promise<SessionDescription>;
  stop(): void;
};

/** Fake VP8: a 1-byte payload descriptor (S bit on), then who/which packet, then filler. */
function fakeVp8Payload(from: string, seq: number): Buffer {
  const body = Buffer.from(`${from}|${seq}|`);
  const filler = Buffer.alloc(200);
  for (let i = 0; i < filler.length; i++) filler[i] = (seq * 31 + i) & 0xff;
  return Buffer.concat([Buffer.from([0x10]), body, filler]);
}

function parseFrom(payload: Buffer): { from: string; seq: number } {
  const [from, seq] = payload.subarray(1).toString('latin1').split('|');
  return { from: from ?? '', seq: Number(seq) };
}

/** mids of the offer's m-sections the SFU wants to receive on (direction recvonly). */
function recvonlyMids(sdp: string): string[] {
  return sdp
    .split(/\r?\nm=/)
    .slice(1)
    .filter((section) => /\r?\na=recvonly/.test(section))
    .map((section) => /\r?\na=mid:(\S+)/.exec(section)?.[1])
    .filter((mid): mid is string => mid !== undefined);
}

function createClient(id: string): Client {
  const pc = new RTCPeerConnection({
    codecs: { audio: [useOPUS()], video: [useVP8({ rtcpFeedback: [useNACK(), usePLI()] })] },
    ...loopback,
    bundlePolicy: 'max-bundle',
  });
  const client: Client = {
    id,
    pc,
    sent: new Map(),
    received: new Map(),
    keyFrameRequests: 0,
    signal: async (offer) => {
      await pc.setRemoteDescription(offer);
      for (const mid of recvonlyMids(offer.sdp)) {
        const transceiver = pc.getTransceivers().find((t) => t.mid === mid);
        if (!transceiver || transceiver.kind !== 'video' || client.sender) continue;
        transceiver.setDirection('sendonly');
        client.sender = transceiver.sender;
        transceiver.sender.onPictureLossIndication.subscribe(() => client.keyFrameRequests++);
      }
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const local = pc.localDescription;
      assert.ok(local);
      return { type: 'answer', sdp: local.sdp };
    },
    stop: () => clearInterval(timer),
  };
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      const { from } = parseFrom(rtp.payload);
      const list = client.received.get(from) ?? [];
      list.push(Buffer.from(rtp.payload));
      client.received.set(from, list);
    });
  });
  let seq = 0;
  // ~30 packets/s, starting as soon as the sender is negotiated.
  const timer = setInterval(() => {
    const sender = client.sender;
    if (!sender || pc.connectionState !== 'connected') return;
    seq++;
    const payload = fakeVp8Payload(id, seq);
    client.sent.set(seq, payload);
    const header = new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: seq * 3000, payloadType: 96, marker: true });
    void sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }, 33);
  return client;
}

function assertIntact(receiver: Client, publisher: Client, minimum: number): number {
  const got = receiver.received.get(publisher.id) ?? [];
  assert.ok(got.length >= minimum, `${receiver.id} got ${got.length} packets from ${publisher.id}, want ≥ ${minimum}`);
  for (const payload of got) {
    const { seq } = parseFrom(payload);
    const sent = publisher.sent.get(seq);
    assert.ok(sent && sent.equals(payload), `${receiver.id}: payload ${seq} from ${publisher.id} was altered`);
  }
  return got.length;
}

async function runScenario(): Promise<void> {
  const negotiationErrors: unknown[] = [];
  const sfu: Sfu = createSfu({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    interfaceAddresses: { udp4: '127.0.0.1' },
    onNegotiationError: (_id, error) => negotiationErrors.push(error),
  });
  const clients: Client[] = [];
  const add = (id: string) => {
    const client = createClient(id);
    clients.push(client);
    sfu.join('room-1', id, client.signal);
    return client;
  };
  try {
    const [a, b, c] = [add('alice'), add('bob'), add('carol')];
    const trio = [a, b, c];
    const everyoneHears = (group: Client[], minimum: number) =>
      group.every((r) => group.every((p) => p === r || (r.received.get(p.id)?.length ?? 0) >= minimum));
    await waitFor(() => everyoneHears(trio, 1), 'first packets between alice, bob and carol');
    await sleep(2000);
    for (const r of trio) for (const p of trio) if (p !== r) assertIntact(r, p, 30);

    // A late joiner starts receiving everyone, and the SFU asks the publishers for a key frame.
    const pliBefore = trio.map((p) => p.keyFrameRequests);
    const d = add('dave');
    await waitFor(() => everyoneHears([...trio, d], 1), 'dave to hear and be heard');
    await sleep(1000);
    for (const p of trio) assertIntact(d, p, 15);
    for (const r of trio) assertIntact(r, d, 15);
    trio.forEach((p, i) => assert.ok(p.keyFrameRequests > (pliBefore[i] ?? 0), `${p.id} got no key-frame request for dave (before ${pliBefore.join()}, now ${trio.map((x) => x.keyFrameRequests).join()}, sfu ${JSON.stringify(sfu.stats('room-1'))})`));

    // After bob leaves, nobody receives his stream any more, though his client keeps sending.
    await sfu.leave('bob');
    await sleep(300);
    const countsAtLeave = [a, c, d].map((r) => r.received.get('bob')?.length ?? 0);
    const othersBefore = a.received.get('carol')?.length ?? 0;
    await sleep(1000);
    [a, c, d].forEach((r, i) => assert.equal(r.received.get('bob')?.length ?? 0, countsAtLeave[i], `${r.id} still receives bob`));
    assert.ok((a.received.get('carol')?.length ?? 0) > othersBefore + 10, 'alice stopped hearing carol after bob left');

    const stats = sfu.stats('room-1');
    assert.ok(stats);
    assert.deepEqual([...stats.participants].sort(), ['alice', 'carol', 'dave']);
    assert.ok(stats.forwardedPackets > 300, `forwarded ${stats.forwardedPackets}`);
    assert.deepEqual(negotiationErrors, []);
  } finally {
    for (const client of clients) client.stop();
    await sfu.close();
    await Promise.all(clients.map((client) => client.pc.close()));
  }
}

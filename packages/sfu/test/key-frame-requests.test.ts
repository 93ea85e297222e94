import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PictureLossIndication, RtcpPayloadSpecificFeedback, type RTCRtpTransceiver } from 'werift';
import { createSfu } from '../src/sfu.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';
import { createSyntheticClient } from '../src/testing/synthetic-client.ts';
import { sleep, waitFor } from './wait.ts';

const thisFile = fileURLToPath(import.meta.url);
/** The SSRC of the video a client receives (its one incoming video stream in a two-person room). */
function incomingVideoSsrc(transceivers: RTCRtpTransceiver[]): number | undefined {
  for (const t of transceivers) {
    if (t.kind !== 'video' || t.direction === 'sendonly') continue;
    const ssrc = t.receiver.tracks[0]?.ssrc;
    if (ssrc) return ssrc;
  }
  return undefined;
}

inLoopbackNamespace('sfu key-frame requests', thisFile, () => {
  describe('sfu key-frame requests from receivers', () => {
    it('a PLI stamped with the receiver\'s own sending SSRC (as browsers do) reaches the publisher of the stream it names', { timeout: 60_000 }, async () => {
      const sfu = createSfu({ iceAdditionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' }, keyFrameRequestIntervalMs: 200 });
      // Periodic key frames only every 60 s, so that nothing but requests makes one.
      const a = createSyntheticClient({ id: 'a', fps: 30, keyFrameIntervalMs: 60_000 });
      const b = createSyntheticClient({ id: 'b', fps: 30, keyFrameIntervalMs: 60_000 });
      try {
        sfu.join('room', 'a', a.signal.bind(a));
        sfu.join('room', 'b', b.signal.bind(b));
        await waitFor(() => b.receivingFrom('video', 400).includes('a') && a.receivingFrom('video', 400).includes('b'), () => 'video both ways');
        // Let the SFU's own key-frame requests (joins, connection up) pass.
        await sleep(1500);
        const mediaSsrc = incomingVideoSsrc(b.pc.getTransceivers());
        const ownSsrc = b.pc.getTransceivers().find((t) => t.kind === 'video' && t.direction === 'sendonly')?.sender.ssrc;
        assert.ok(mediaSsrc && ownSsrc, `ssrcs: media ${mediaSsrc}, own ${ownSsrc}`);
        const transport = b.pc.getTransceivers()[0]?.receiver.dtlsTransport;
        assert.ok(transport);
        for (let i = 0; i < 3; i++) {
          const before = a.sent.pliReceived;
          const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: ownSsrc, mediaSsrc }) });
          await transport.sendRtcp([pli]);
          await waitFor(() => a.sent.pliReceived > before, () => `a to be asked for a key frame (request ${i + 1}; it was asked ${a.sent.pliReceived} times)`, 3000);
          await sleep(300); // past the SFU's throttle
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
        await sfu.close();
      }
    });
  });
});

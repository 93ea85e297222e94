import { PictureLossIndication, RtcpPayloadSpecificFeedback, type RTCPeerConnection, type RtcpPacket } from 'werift';

/** RFC 5104 FIR: payload-specific feedback with FMT 4 (werift does not export its class). */
const FIR_FMT = 4;
type FirLike = { count: number; fir?: { ssrc: number }[] };

type Recipient = { handleRtcpPacket(packet: RtcpPacket): void; onPictureLossIndication?: { execute(): void } };
type Router = { ssrcTable: Record<number, Recipient | undefined>; routeRtcp: (packet: RtcpPacket) => void };

/**
 * werift 0.25's router hands payload-specific feedback (PLI) to whatever owns its *sender* SSRC
 * before trying its *media* SSRC. A browser that both publishes and subscribes stamps its PLIs with
 * its own sending SSRC, which the SFU knows as the receiver of that browser's stream: the key-frame
 * request for the stream it watches went to the wrong object and never reached the publisher
 * (a receiver sent 191 PLIs in 45 s; its publisher saw 1). This routes PLI by the media SSRC
 * (RFC 4585: the media source the feedback is about), and FIR (RFC 5104, media SSRC 0, the targets
 * in its entries) to each named sender as a PLI. Everything else goes through werift's router.
 * Reaches into werift's internals; if an update renames them, it does nothing.
 */
export function routeKeyFrameRequestsByMediaSsrc(pc: RTCPeerConnection): void {
  const router = (pc as unknown as { router?: Router }).router;
  if (!router || typeof router.routeRtcp !== 'function' || typeof router.ssrcTable !== 'object') return;
  const original = router.routeRtcp;
  router.routeRtcp = (packet: RtcpPacket) => {
    if (packet instanceof RtcpPayloadSpecificFeedback) {
      const feedback = packet.feedback;
      if (feedback instanceof PictureLossIndication) {
        const target = router.ssrcTable[feedback.mediaSsrc];
        if (target) {
          target.handleRtcpPacket(packet);
          return;
        }
      } else if ((feedback as FirLike).count === FIR_FMT && Array.isArray((feedback as FirLike).fir)) {
        let handled = false;
        for (const entry of (feedback as FirLike).fir ?? []) {
          const target = router.ssrcTable[entry.ssrc];
          if (target?.onPictureLossIndication) {
            target.onPictureLossIndication.execute();
            handled = true;
          }
        }
        if (handled) return;
      }
    }
    original(packet);
  };
}

import { createSecretKey } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';

/**
 * werift 0.25 passes its SRTP session keys to `createCipheriv`/`createHmac` as Buffers, for every
 * packet; Node 24 then builds a KeyObject from the Buffer each time, which was a third of the SFU's
 * CPU in the rooms benchmark profile (getKeyObjectSlots/getSlots). Handing the cipher KeyObjects
 * made once gives the same bytes on the wire at a fraction of the cost. This reaches into werift's
 * internals (DtlsTransport.srtp/srtcp → Session.local/remoteContext → cipher); if a werift update
 * renames them, it does nothing.
 */

const FIELDS = ['srtpSessionKey', 'srtcpSessionKey', 'srtpSessionAuthTag', 'srtcpSessionAuthTag'] as const;
type Cipher = Partial<Record<(typeof FIELDS)[number], unknown>>;
type Session = { localContext?: { cipher?: Cipher }; remoteContext?: { cipher?: Cipher } };
const patched = new WeakSet<object>();

export function useSrtpKeyObjects(pc: RTCPeerConnection): void {
  for (const transceiver of pc.getTransceivers()) {
    const transport = transceiver.sender.dtlsTransport as unknown as { srtp?: Session; srtcp?: Session } | undefined;
    for (const session of [transport?.srtp, transport?.srtcp]) {
      for (const context of [session?.localContext, session?.remoteContext]) {
        const cipher = context?.cipher;
        if (!cipher || patched.has(cipher)) continue;
        for (const field of FIELDS) {
          const value = cipher[field];
          if (Buffer.isBuffer(value)) cipher[field] = createSecretKey(value);
        }
        patched.add(cipher);
      }
    }
  }
}

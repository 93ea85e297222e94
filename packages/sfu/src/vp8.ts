/**
 * Whether an RTP payload is the first packet of a VP8 key frame (RFC 7741). Frame encryption
 * leaves the payload descriptor and the first bytes of the VP8 payload header in the clear
 * (MEDIA-FACTS.md), which is what lets the SFU start a forwarded stream on a key frame without
 * reading the picture.
 */
export function isVp8KeyFrameStart(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  // S (start of partition) set and partition index 0: the VP8 payload header follows the descriptor.
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return false;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++];
    if (ext === undefined) return false;
    if (ext & 0x80) {
      const pictureId = payload[offset];
      if (pictureId === undefined) return false;
      offset += pictureId & 0x80 ? 2 : 1;
    }
    if (ext & 0x40) offset++;
    if (ext & 0x30) offset++;
  }
  const header = payload[offset];
  // P bit clear: an intra frame.
  return header !== undefined && (header & 0x01) === 0;
}

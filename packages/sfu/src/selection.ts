import type { View } from './types.ts';

/** Simulcast layer a receiver wants from a publisher: high or low. */
export type Layer = 'h' | 'l';

export type Selection = {
  /** publisher id → layer, at most max(lastN, pinned) entries. */
  video: Map<string, Layer>;
  /** publisher ids whose audio is forwarded. */
  audio: Set<string>;
};

/**
 * What one receiver gets ([ROOM-*] last-N): video from its pinned publishers plus the most
 * recent speakers up to `lastN` in total, and audio from the `audioTopK` loudest. Pinned tiles
 * get the high layer; the others get the low layer when the receiver asked for `lowQuality` or
 * pinned someone (the others are thumbnails then).
 */
export function selectFor(
  receiverId: string,
  view: Required<View>,
  recent: readonly string[],
  loudest: readonly string[],
  audioTopK: number,
): Selection {
  const present = new Set(recent);
  const video = new Map<string, Layer>();
  const pinned = view.pinned.filter((id) => id !== receiverId && present.has(id));
  for (const id of pinned) video.set(id, 'h');
  const others: Layer = view.lowQuality || pinned.length > 0 ? 'l' : 'h';
  for (const id of recent) {
    if (video.size >= view.lastN) break;
    if (id !== receiverId && !video.has(id)) video.set(id, others);
  }
  const audio = new Set<string>();
  for (const id of loudest) {
    if (audio.size >= audioTopK) break;
    if (id !== receiverId) audio.add(id);
  }
  return { video, audio };
}

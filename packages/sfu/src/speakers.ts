/**
 * Speaker ranking from the RTP audio-level header extension (RFC 6464): each audio packet carries
 * the sender's level in -dBov (0 loudest, 127 silence) in the RTP header, so it stays readable when
 * the payload is end-to-end encrypted. Levels are averaged per tick and smoothed across ticks.
 */

/** Loudness (127 - level) at or above which a participant counts as speaking: louder than -70 dBov. */
export const SPEAKING_LOUDNESS = 57;
const SMOOTHING = 0.5;

export type SpeakerState = {
  /** Join order, to break ties deterministically. */
  readonly seq: number;
  loudnessSum: number;
  packets: number;
  smoothed: number;
  lastSpokeAt: number;
};

export function newSpeakerState(seq: number): SpeakerState {
  return { seq, loudnessSum: 0, packets: 0, smoothed: 0, lastSpokeAt: -Infinity };
}

export function recordAudioLevel(state: SpeakerState, level: number): void {
  state.loudnessSum += 127 - level;
  state.packets++;
}

/** Folds the packets since the last tick into the smoothed loudness; returns whether speaking. */
export function tickSpeaker(state: SpeakerState, now: number): boolean {
  const average = state.packets > 0 ? state.loudnessSum / state.packets : 0;
  state.smoothed = state.smoothed * SMOOTHING + average * (1 - SMOOTHING);
  state.loudnessSum = 0;
  state.packets = 0;
  const speaking = state.smoothed >= SPEAKING_LOUDNESS;
  if (speaking) state.lastSpokeAt = now;
  return speaking;
}

export type Ranked = { id: string; speaker: SpeakerState };

/** Most recent speakers first (who gets video under last-N); never-speakers in join order. */
export function byRecentSpeech(a: Ranked, b: Ranked): number {
  if (a.speaker.lastSpokeAt !== b.speaker.lastSpokeAt) return b.speaker.lastSpokeAt - a.speaker.lastSpokeAt;
  return a.speaker.seq - b.speaker.seq;
}

/** Loudest now first (whose audio is forwarded), then by recent speech. */
export function byLoudness(a: Ranked, b: Ranked): number {
  const aSpeaking = a.speaker.smoothed >= SPEAKING_LOUDNESS;
  const bSpeaking = b.speaker.smoothed >= SPEAKING_LOUDNESS;
  if (aSpeaking !== bSpeaking) return aSpeaking ? -1 : 1;
  if (aSpeaking && a.speaker.smoothed !== b.speaker.smoothed) return b.speaker.smoothed - a.speaker.smoothed;
  return byRecentSpeech(a, b);
}

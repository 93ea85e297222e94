import { useCallback, useEffect, useRef, useState } from 'react';

export type DeviceProblem = { kind: 'denied' | 'missing' | 'busy' | 'insecure' } | { kind: 'other'; message: string };

export interface LocalMedia {
  stream: MediaStream | undefined;
  problem: DeviceProblem | undefined;
  /** Whether the microphone and camera are on: switched on and actually there. */
  micOn: boolean;
  camOn: boolean;
  /** The person's switches, whether or not the device is there. */
  wanted: { audio: boolean; video: boolean };
  /** The browser answered (a stream, or a problem): joining before that would ask twice. */
  ready: boolean;
  setMic: (on: boolean) => void;
  setCam: (on: boolean) => void;
  retry: () => void;
  /** Hands the stream over (to the call): it is no longer stopped when the preview goes away. */
  release: () => MediaStream | undefined;
  /** Stops the camera and microphone (leaving before joining). */
  stop: () => void;
}

function classify(error: unknown): DeviceProblem {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return { kind: 'denied' };
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return { kind: 'missing' };
  if (name === 'NotReadableError' || name === 'AbortError') return { kind: 'busy' };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

/**
 * The camera and microphone for the pre-join preview. Asks for both, and when that fails falls
 * back to whichever one works, so a laptop without a camera still joins with its microphone.
 */
export function useLocalMedia(): LocalMedia {
  const [stream, setStream] = useState<MediaStream>();
  const [problem, setProblem] = useState<DeviceProblem>();
  const [micOn, setMicOn] = useState(true);
  const [camOn, setCamOn] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const owned = useRef<MediaStream | undefined>(undefined);

  useEffect(() => {
    let gone = false;
    const devices = navigator.mediaDevices;
    if (!devices?.getUserMedia) {
      setProblem({ kind: 'insecure' });
      return;
    }
    void (async () => {
      let got: MediaStream | undefined;
      let first: unknown;
      for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
        try {
          got = await devices.getUserMedia(constraints);
          break;
        } catch (error) {
          first ??= error;
          // Denied is denied for both: asking again for one alone only repeats the refusal.
          if (classify(error).kind === 'denied') break;
        }
      }
      if (gone) {
        got?.getTracks().forEach((t) => t.stop());
        return;
      }
      owned.current = got;
      setStream(got);
      setProblem(got && got.getTracks().length === 2 ? undefined : classify(first ?? new DOMException('', 'NotFoundError')));
    })();
    return () => {
      gone = true;
      owned.current?.getTracks().forEach((t) => t.stop());
      owned.current = undefined;
    };
  }, [attempt]);

  useEffect(() => {
    stream?.getAudioTracks().forEach((t) => (t.enabled = micOn));
  }, [stream, micOn]);
  useEffect(() => {
    stream?.getVideoTracks().forEach((t) => (t.enabled = camOn));
  }, [stream, camOn]);

  const release = useCallback(() => {
    const s = owned.current;
    owned.current = undefined;
    return s;
  }, []);
  const stop = useCallback(() => {
    owned.current?.getTracks().forEach((t) => t.stop());
    owned.current = undefined;
    setStream(undefined);
  }, []);

  return {
    stream,
    problem,
    micOn: micOn && !!stream?.getAudioTracks().length,
    camOn: camOn && !!stream?.getVideoTracks().length,
    wanted: { audio: micOn, video: camOn },
    ready: !!stream || !!problem,
    setMic: setMicOn,
    setCam: setCamOn,
    retry: () => {
      owned.current?.getTracks().forEach((t) => t.stop());
      owned.current = undefined;
      setStream(undefined);
      setProblem(undefined);
      setAttempt((n) => n + 1);
    },
    release,
    stop,
  };
}

import { useEffect, useState } from 'react';
import type { Quality, RoomSession } from './room-api.ts';
import { useRoomI18n } from './room-i18n.ts';

const BARS: Record<Quality, number> = { good: 3, fair: 2, poor: 1 };
const KEYS = { good: 'qualityGood', fair: 'qualityFair', poor: 'qualityPoor' } as const;

/** Three bars from the session's own estimate (loss, jitter, round trip), polled every few seconds. */
export function QualityIndicator({ session }: { session: RoomSession }) {
  const { t } = useRoomI18n();
  const [quality, setQuality] = useState<Quality | null>(null);
  useEffect(() => {
    let gone = false;
    const poll = (): void => {
      session.quality().then(
        (q) => !gone && setQuality(q),
        () => undefined,
      );
    };
    // The first reading waits a moment: right after joining the connection is still being set up.
    const first = setTimeout(poll, 1500);
    const timer = setInterval(poll, 3000);
    return () => {
      gone = true;
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [session]);
  if (!quality) return null;
  const label = t(KEYS[quality]);
  return (
    <span className={`quality ${quality}`} role="img" aria-label={label} title={label}>
      {[1, 2, 3].map((n) => (
        <span key={n} className={n <= BARS[quality] ? 'bar-on' : 'bar-off'} style={{ height: `${n * 5 + 3}px` }} />
      ))}
    </span>
  );
}

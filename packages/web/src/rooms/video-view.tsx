import { useEffect, useRef } from 'react';

/**
 * A <video> playing a MediaStream. Remote streams play their audio through it too, so a person is
 * heard exactly while their tile exists; the local one is muted (no echo) and mirrored.
 */
export function VideoView({ stream, local = false, label, className }: { stream: MediaStream | undefined; local?: boolean; label?: string; className?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    if (video.srcObject !== (stream ?? null)) video.srcObject = stream ?? null;
    if (stream) void video.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} className={`${className ?? ''} ${local ? 'mirror' : ''}`} autoPlay playsInline muted={local} aria-label={label} />;
}

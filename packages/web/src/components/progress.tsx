/** A labelled progress bar for uploads and downloads. */
export function Progress({ label, done, total }: { label: string; done: number; total: number }) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <span className="progress">
      <span>{label}</span>
      <progress aria-label={label} max={100} value={pct} />
      <span>{pct}%</span>
    </span>
  );
}

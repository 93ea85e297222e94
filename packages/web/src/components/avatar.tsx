/** Initials on a colour derived from the name, so each contact is recognisable at a glance. */
export function Avatar({ name, size = 40, group = false }: { name: string; size?: number; group?: boolean }) {
  const initials = name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => [...p][0]!.toUpperCase())
    .join('');
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  // Lightness 30% keeps white initials at WCAG AA on every hue (4.75:1 at worst, checked).
  const hue = hash % 360;
  return (
    <span
      className={`avatar ${group ? 'group' : ''}`}
      aria-hidden="true"
      style={{ width: size, height: size, background: `hsl(${hue} 55% 30%)`, fontSize: size * 0.4 }}
    >
      {initials || '?'}
    </span>
  );
}

import type { Language, Translate } from './i18n.ts';

export function shortTime(ts: number, language: Language): string {
  return new Date(ts).toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit' });
}

/** "14:05" today, "Yesterday", or a date, like a messenger's chat list. */
export function listTime(ts: number, language: Language, t: Translate, now = Date.now()): string {
  if (!ts) return '';
  const day = dayKey(ts);
  if (day === dayKey(now)) return shortTime(ts, language);
  if (day === dayKey(now - 86_400_000)) return t('yesterday');
  return new Date(ts).toLocaleDateString(language, { day: 'numeric', month: 'short' });
}

export function dayLabel(ts: number, language: Language, t: Translate, now = Date.now()): string {
  const day = dayKey(ts);
  if (day === dayKey(now)) return t('today');
  if (day === dayKey(now - 86_400_000)) return t('yesterday');
  return new Date(ts).toLocaleDateString(language, { weekday: 'long', day: 'numeric', month: 'long' });
}

export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function usernameOf(userId: string): string {
  return userId.slice(1).split(':')[0] ?? userId;
}

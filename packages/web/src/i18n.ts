import { createContext, useContext } from 'react';
import { en, type MessageKey } from './strings-en.ts';
import { es } from './strings-es.ts';

/**
 * Every string the app shows lives in strings-en.ts and strings-es.ts; components never hard-code
 * text: they call t(key).
 */
export type { MessageKey };

export const LANGUAGES = { en, es } as const;
export type Language = keyof typeof LANGUAGES;

export function pickLanguage(saved: string | null, browser: readonly string[]): Language {
  if (saved === 'en' || saved === 'es') return saved;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'es' || base === 'en') return base;
  }
  return 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const table = LANGUAGES[language];
  return (key, vars) => table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars?.[name] ?? ''));
}

export const I18nContext = createContext<{ t: Translate; language: Language; setLanguage: (l: Language) => void }>({
  t: translator('en'),
  language: 'en',
  setLanguage: () => undefined,
});

export function useI18n(): { t: Translate; language: Language; setLanguage: (l: Language) => void } {
  return useContext(I18nContext);
}

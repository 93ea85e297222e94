import { useMemo } from 'react';
import { useI18n } from '../i18n.ts';
import { roomEn, type RoomMessageKey } from './strings-en.ts';
import { roomEs } from './strings-es.ts';

export type RoomTranslate = (key: RoomMessageKey, vars?: Record<string, string | number>) => string;

const TABLES = { en: roomEn, es: roomEs } as const;

/** The room screens' translator, in the language the app already picked (browser or saved choice). */
export function useRoomI18n(): { t: RoomTranslate; language: 'en' | 'es' } {
  const { language } = useI18n();
  return useMemo(() => {
    const table = TABLES[language];
    const t: RoomTranslate = (key, vars) => table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars?.[name] ?? ''));
    return { t, language };
  }, [language]);
}

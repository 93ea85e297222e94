import { useI18n, type Language } from '../i18n.ts';

/** The language picker; each option is named in its own language. */
export function LanguageSelect({ id }: { id?: string }) {
  const { language, setLanguage } = useI18n();
  return (
    <select id={id} value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
      <option value="es" lang="es">
        Español
      </option>
      <option value="en" lang="en">
        English
      </option>
    </select>
  );
}

import { useState, type FormEvent } from 'react';
import type { CharlaClient } from '@charla/sdk';
import { describeError } from '../errors.ts';
import { FormFooter } from '../components/form-footer.tsx';
import { LanguageSelect } from '../components/language-select.tsx';
import { useI18n } from '../i18n.ts';
import { linkThisBrowser, logIn, signUp } from '../session.ts';

/** Sign up with a username and a password, nothing else; or log in as a new device. */
export function Onboarding({ invitedBy, linkCode, onReady }: { invitedBy: string | undefined; linkCode?: string | undefined; onReady: (client: CharlaClient) => void }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<'signup' | 'login' | 'link'>(linkCode ? 'link' : 'signup');
  const [code, setCode] = useState(linkCode ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const name = username.trim().toLowerCase();
      onReady(mode === 'link' ? await linkThisBrowser(code) : mode === 'signup' ? await signUp(name, password) : await logIn(name, password));
    } catch (err) {
      setError(describeError(err, t));
      setBusy(false);
    }
  };

  return (
    <main className="onboarding">
      <img src="/icon.svg" alt="" width={72} height={72} />
      <h1>{t('appName')}</h1>
      <p className="tagline">{invitedBy ? t('invitedBy', { name: invitedBy }) : t('tagline')}</p>
      {mode === 'link' ? (
        <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
          <p className="hint">{t('linkThisBrowserHelp')}</p>
          <label>
            {t('linkCodeLabel')}
            <input name="link-code" autoCapitalize="characters" autoComplete="off" spellCheck={false} required value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
          <FormFooter error={error} busy={busy} label={t('linkConfirm')} busyLabel={t('linkWaiting')} />
        </form>
      ) : (
      <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <label>
          {mode === 'signup' ? t('chooseUsername') : t('username')}
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            minLength={3}
            maxLength={32}
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]{2,31}"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          {mode === 'signup' ? t('choosePassword') : t('password')}
          <input
            name="password"
            type="password"
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'signup' && <p className="hint">{t('passwordHint')}</p>}
        <FormFooter error={error} busy={busy} label={mode === 'signup' ? t('start') : t('logIn')} busyLabel={t('working')} />
      </form>
      )}
      <button type="button" className="link" onClick={() => setMode(mode === 'signup' ? 'login' : 'signup')}>
        {mode === 'signup' ? t('haveAccount') : t('newHere')}
      </button>
      {mode !== 'link' && (
        <button type="button" className="link" onClick={() => setMode('link')}>
          {t('linkThisBrowser')}
        </button>
      )}
      <label className="language">
        {t('language')}
        <LanguageSelect />
      </label>
    </main>
  );
}

import { useEffect, useId, useState } from 'react';
import { renderSVG } from 'uqr';
import type { CharlaClient } from '@charla/sdk';
import { describeError } from '../errors.ts';
import { usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';

/** 60 digits as 12 groups of 5, the way people read them aloud to each other. */
export function groupDigits(digits: string): string[] {
  return digits.match(/\d{1,5}/g) ?? [];
}

/**
 * The safety number of you and one person, as digits and as a QR code. Both of you see the same
 * number; if it matches, nobody is in between.
 */
export function SafetyNumber({ client, userId }: { client: CharlaClient; userId: string }) {
  const { t } = useI18n();
  const [digits, setDigits] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDigits(null);
    client.safetyNumber(userId).then(setDigits, (e: unknown) => setError(describeError(e, t)));
  }, [client, userId]);
  const name = usernameOf(userId);
  const headingId = useId();
  return (
    <section className="safety-number" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('safetyNumberWith', { name })}</h3>
      <p className="hint">{t('safetyNumberHelp', { name })}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {digits && (
        <>
          <p className="digits" role="group" aria-label={t('safetyNumber')}>
            {groupDigits(digits).map((g, i) => (
              <span key={i}>{g}</span>
            ))}
          </p>
          <div className="qr" role="img" aria-label={t('safetyNumberQr', { name })} dangerouslySetInnerHTML={{ __html: renderSVG(digits, { border: 2 }) }} />
        </>
      )}
    </section>
  );
}

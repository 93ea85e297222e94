import { useEffect, useId, useState } from 'react';
import type { Translate } from '../i18n.ts';
import { useI18n } from '../i18n.ts';

/** The choices people get; 30 s exists so that one can see it work (and tests can). */
export const TIMER_CHOICES = [0, 30, 3600, 86_400, 604_800] as const;

export function durationLabel(seconds: number, t: Translate): string {
  switch (seconds) {
    case 0: return t('timerOff');
    case 30: return t('timer30s');
    case 3600: return t('timer1h');
    case 86_400: return t('timer1d');
    case 604_800: return t('timer1w');
  }
  if (seconds < 3600) return t('timerMinutes', { count: Math.max(1, Math.round(seconds / 60)) });
  if (seconds < 86_400) return t('timerHours', { count: Math.round(seconds / 3600) });
  return t('timerDays', { count: Math.round(seconds / 86_400) });
}

/** Disappearing messages for one chat: a radio group (arrow keys move between choices). */
export function TimerSetting({ seconds, disabled, onChange }: { seconds: number; disabled: boolean; onChange: (seconds: number) => void }) {
  const { t } = useI18n();
  const name = useId();
  // Shows the choice at once; the chat's setting follows when the change went out.
  const [chosen, setChosen] = useState(seconds);
  useEffect(() => setChosen(seconds), [seconds]);
  const choices: number[] = TIMER_CHOICES.includes(seconds as (typeof TIMER_CHOICES)[number]) ? [...TIMER_CHOICES] : [...TIMER_CHOICES, seconds];
  return (
    <fieldset className="timer-setting" disabled={disabled}>
      <legend>{t('disappearingMessages')}</legend>
      <p className="hint">{t('disappearingHelp')}</p>
      <div className="choices">
        {choices.map((s) => (
          <label key={s} className="choice">
            <input type="radio" name={name} value={s} checked={s === chosen} onChange={() => (setChosen(s), onChange(s))} />
            {durationLabel(s, t)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

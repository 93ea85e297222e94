import { useId, useState, type FormEvent } from 'react';
import { Avatar } from '../components/avatar.tsx';
import { LanguageSelect } from '../components/language-select.tsx';
import { useI18n } from '../i18n.ts';
import { MicCamToggles } from './media-toggles.tsx';
import { useRoomI18n, type RoomTranslate } from './room-i18n.ts';
import type { DeviceProblem, LocalMedia } from './use-local-media.ts';
import { VideoView } from './video-view.tsx';

export function describeDeviceProblem(problem: DeviceProblem, t: RoomTranslate): string {
  switch (problem.kind) {
    case 'denied':
      return t('deviceDenied');
    case 'missing':
      return t('deviceMissing');
    case 'busy':
      return t('deviceBusy');
    case 'insecure':
      return t('deviceInsecure');
    case 'other':
      return t('deviceOther', { message: problem.message });
  }
}

interface Props {
  media: LocalMedia;
  initialName: string;
  busy: boolean;
  /** Why the last attempt did not get in, if it failed in a way that lets the person retry here. */
  error: string | null;
  onJoin: (name: string) => void;
}

/** The screen before a call: a name, a look at one's own camera, microphone and camera switches. */
export function PreJoin({ media, initialName, busy, error, onJoin }: Props) {
  const { t } = useRoomI18n();
  const app = useI18n();
  const [name, setName] = useState(initialName);
  const langId = useId();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed) onJoin(trimmed);
  };
  const hasMic = !!media.stream?.getAudioTracks().length;
  const hasCam = !!media.stream?.getVideoTracks().length;
  return (
    <main className="room-page prejoin">
      <h1>{t('joinTitle')}</h1>
      <div className="prejoin-body">
        <section className="preview" aria-label={t('preview')}>
          {media.camOn ? (
            <VideoView stream={media.stream} local label={t('preview')} className="preview-video" />
          ) : (
            <div className="preview-off">
              <Avatar name={name.trim() || '?'} size={96} />
              <p>{t('cameraOffPreview')}</p>
            </div>
          )}
          <div className="preview-controls">
            <MicCamToggles mic={media.micOn} cam={media.camOn} hasMic={hasMic} hasCam={hasCam} onMic={() => media.setMic(!media.micOn)} onCam={() => media.setCam(!media.camOn)} />
          </div>
        </section>
        <form onSubmit={submit} aria-busy={busy}>
          <p className="hint">{t('joinHelp')}</p>
          <label>
            {t('yourName')}
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required autoComplete="nickname" autoFocus />
          </label>
          {media.problem && (
            <div className="device-problem" role="alert">
              <p>{describeDeviceProblem(media.problem, t)}</p>
              {media.problem.kind !== 'insecure' && (
                <button type="button" className="small" onClick={media.retry}>
                  {t('tryAgain')}
                </button>
              )}
            </div>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy || !name.trim() || !media.ready}>
            {busy ? t('joining') : t('join')}
          </button>
          <p className="hint">🔒 {t('e2eeNote')}</p>
          <span className="language">
            <label htmlFor={langId} className="hint">
              {app.t('language')}
            </label>
            <LanguageSelect id={langId} />
          </span>
        </form>
      </div>
    </main>
  );
}

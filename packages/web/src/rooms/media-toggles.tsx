import { Icon, type IconName } from './icons.tsx';
import { useRoomI18n } from './room-i18n.ts';

/**
 * A toggle button with a fixed name and aria-pressed (the ARIA pattern for on/off buttons): a
 * screen reader says "Microphone, toggle button, pressed", and the name never flips meaning.
 */
export function ToggleButton({ label, on, onIcon, offIcon, disabled, onToggle, mode = 'device' }: { label: string; on: boolean; onIcon: IconName; offIcon: IconName; disabled?: boolean; onToggle: () => void; mode?: 'device' | 'option' }) {
  // A device that is off stands out (white): people must notice a muted microphone. An option that is on does.
  const look = mode === 'device' ? (on ? 'on' : 'off') : on ? 'active' : '';
  return (
    <button type="button" className={`control ${look}`} aria-pressed={on} aria-label={label} title={label} disabled={disabled} onClick={onToggle}>
      <Icon name={on ? onIcon : offIcon} />
    </button>
  );
}

export function MicCamToggles({ mic, cam, hasMic, hasCam, onMic, onCam }: { mic: boolean; cam: boolean; hasMic: boolean; hasCam: boolean; onMic: () => void; onCam: () => void }) {
  const { t } = useRoomI18n();
  return (
    <>
      <ToggleButton label={t('microphone')} on={mic} onIcon="mic" offIcon="micOff" disabled={!hasMic} onToggle={onMic} />
      <ToggleButton label={t('camera')} on={cam} onIcon="cam" offIcon="camOff" disabled={!hasCam} onToggle={onCam} />
    </>
  );
}

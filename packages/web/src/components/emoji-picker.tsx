import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useI18n } from '../i18n.ts';

/** A fixed set of common emoji: small, no data file, and the names come from the screen reader. */
export const EMOJI = [
  '😀', '😂', '🤣', '😊', '😍', '😘', '😉', '😎',
  '🤔', '😅', '😢', '😭', '😡', '😮', '😴', '🥳',
  '👍', '👎', '👏', '🙏', '🙌', '👋', '💪', '🤝',
  '❤️', '💔', '🔥', '✨', '🎉', '🎂', '🌹', '☀️',
  '☕', '🍕', '🍻', '⚽', '🚗', '✈️', '🏠', '✅',
];
const COLUMNS = 8;

/**
 * A grid of emoji buttons. Keyboard: arrows move within the grid (one tab stop), Enter picks,
 * Escape closes and gives focus back to the opener.
 */
export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const outside = (e: PointerEvent): void => {
      if (!ref.current?.contains(e.target as Node) && !(e.target as Element).closest('.emoji-toggle')) onClose();
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, []); // mounts once per opening

  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (e.key in moves) {
      e.preventDefault();
      const next = at + moves[e.key]!;
      if (next >= 0 && next < buttons.length) focusAt(buttons, next);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      focusAt(buttons, e.key === 'Home' ? 0 : buttons.length - 1);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  };

  return (
    <div className="emoji-picker" role="group" aria-label={t('emoji')} ref={ref} onKeyDown={onKey}>
      {EMOJI.map((emoji, i) => (
        <button key={emoji} type="button" className="icon" tabIndex={i === 0 ? 0 : -1} aria-label={emoji} onClick={() => onPick(emoji)}>
          {emoji}
        </button>
      ))}
    </div>
  );
}

function focusAt(buttons: HTMLButtonElement[], index: number): void {
  for (const [i, b] of buttons.entries()) b.tabIndex = i === index ? 0 : -1;
  buttons[index]?.focus();
}

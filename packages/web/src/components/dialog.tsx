import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../i18n.ts';

/** A modal dialog on the native <dialog> element: focus trap, Escape and backdrop for free. */
export function Dialog({ title, onClose, children, wide = false }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog?.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-label={title} className={wide ? 'wide' : undefined} onClose={onClose}>
      <header className="bar">
        <h2>{title}</h2>
        <button type="button" className="icon" aria-label={t('close')} onClick={onClose}>
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}

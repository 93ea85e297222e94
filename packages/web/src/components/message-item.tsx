import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from 'react';
import type { MessageRecord } from '@charla/sdk';
import { usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '🙏'];

interface Props {
  message: MessageRecord;
  quoted: MessageRecord | undefined;
  showSender: boolean;
  timeText: string;
  onReply: () => void;
  onReact: (emoji: string) => void;
  onEdit: () => void;
  onDelete: () => void;
  attachment: ReactNode;
  /** The list measures each row (it renders only those in view). */
  rowRef?: Ref<HTMLLIElement>;
}

/** One bubble. Keyboard: the list moves focus between bubbles; Enter opens the focused one's actions. */
export function MessageItem({ message: m, quoted, showSender, timeText, onReply, onReact, onEdit, onDelete, attachment, rowRef }: Props) {
  const { t } = useI18n();
  const [menu, setMenu] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const ticks = { pending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓' }[m.status];

  useEffect(() => {
    if (menu) menuRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [menu]);

  const close = (): void => {
    setMenu(false);
    toggleRef.current?.focus();
  };
  const act = (action: () => void) => (): void => {
    setMenu(false);
    action();
  };

  const onBubbleKey = (e: KeyboardEvent<HTMLLIElement>): void => {
    if (e.target !== e.currentTarget || m.deleted) return;
    if (e.key === 'Enter' || e.key === ' ' || e.key === 'ContextMenu') {
      e.preventDefault();
      setMenu(true);
    }
  };

  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const items = [...(menuRef.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
    if (step) {
      e.preventDefault();
      e.stopPropagation();
      items[(at + step + items.length) % items.length]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  };

  return (
    <li ref={rowRef} className={`bubble ${m.outgoing ? 'out' : 'in'}`} data-message-id={m.id} tabIndex={-1} onKeyDown={onBubbleKey}>
      {showSender && <span className="sender">{usernameOf(m.sender)}</span>}
      {quoted && <blockquote className="quote">{quoted.deleted ? t('deleted') : quoted.text || quoted.attachment?.name}</blockquote>}
      {attachment}
      {m.deleted ? (
        <p className="text deleted">{t('deleted')}</p>
      ) : (
        m.text && (
          <p className="text">
            <Linkified text={m.text} />
          </p>
        )
      )}
      <span className="meta">
        {m.expiresAt !== undefined && (
          <span className="disappearing" role="img" aria-label={t('disappearing')} title={t('disappearing')}>
            ⏱{' '}
          </span>
        )}
        {m.edited && !m.deleted && <span>{t('edited')} · </span>}
        <time dateTime={new Date(m.ts).toISOString()}>{timeText}</time>
        {m.outgoing && (
          <span className={`ticks ${m.status}`} role="img" aria-label={t(m.status)} title={t(m.status)}>
            {' '}
            {ticks}
          </span>
        )}
      </span>
      {Object.keys(m.reactions).length > 0 && (
        <span className="reactions" aria-label={t('reactions')}>
          {Object.entries(m.reactions).map(([emoji, users]) => (
            <span key={emoji} title={users.map(usernameOf).join(', ')}>
              {emoji}
              {users.length > 1 ? users.length : ''}
            </span>
          ))}
        </span>
      )}
      {!m.deleted && (
        <div className="message-actions">
          <button ref={toggleRef} type="button" className="icon" tabIndex={-1} aria-label={t('messageActions')} aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}>
            ⋯
          </button>
          {menu && (
            <div className="menu" role="menu" aria-label={t('messageActions')} ref={menuRef} onKeyDown={onMenuKey}>
              <button type="button" role="menuitem" onClick={act(onReply)}>
                {t('reply')}
              </button>
              {QUICK_REACTIONS.map((emoji) => (
                <button key={emoji} type="button" role="menuitem" aria-label={`${t('react')} ${emoji}`} onClick={act(() => onReact(emoji))}>
                  {emoji}
                </button>
              ))}
              {m.outgoing && (
                <>
                  {m.text && (
                    <button type="button" role="menuitem" onClick={act(onEdit)}>
                      {t('edit')}
                    </button>
                  )}
                  <button type="button" role="menuitem" onClick={act(onDelete)}>
                    {t('delete')}
                  </button>
                </>
              )}
            </div>
          )}
        </div>
      )}
    </li>
  );
}

/** Text with http(s) links made clickable; nothing else is interpreted. */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<]+)/g);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noopener noreferrer">
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  );
}

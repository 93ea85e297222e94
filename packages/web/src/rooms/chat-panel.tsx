import { useEffect, useRef, useState, type FormEvent } from 'react';
import { shortTime } from '../format.ts';
import type { RoomChatMessage } from './room-api.ts';
import { useRoomI18n } from './room-i18n.ts';

/** The call's own chat: end-to-end encrypted with the room key, gone when the call ends. */
export function ChatPanel({ messages, onSend }: { messages: RoomChatMessage[]; onSend: (text: string) => Promise<void> }) {
  const { t, language } = useRoomI18n();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages.length]);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    void onSend(body)
      .then(() => setText(''))
      .finally(() => setBusy(false));
  };
  return (
    <div className="room-chat">
      {messages.length === 0 ? (
        <p className="hint empty">{t('noMessages')}</p>
      ) : (
        <ol className="room-messages" role="log" aria-label={t('chat')} ref={listRef}>
          {messages.map((m, i) => (
            <li key={`${m.ts}-${m.from}-${i}`} className={m.mine ? 'mine' : ''}>
              <span className="who">
                {m.mine ? t('you') : m.name} <time>{shortTime(m.ts, language)}</time>
              </span>
              <span className="text">{m.text}</span>
            </li>
          ))}
        </ol>
      )}
      <form className="room-composer" onSubmit={submit}>
        <input value={text} onChange={(e) => setText(e.target.value)} aria-label={t('message')} placeholder={t('message')} maxLength={2000} autoComplete="off" />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          {t('send')}
        </button>
      </form>
    </div>
  );
}

import { useMemo, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import type { Conversation, MessageRecord } from '@charla/sdk';
import { Avatar } from '../components/avatar.tsx';
import { useVirtualRows } from '../components/use-virtual-rows.ts';
import { listTime, usernameOf } from '../format.ts';
import { useI18n, type Language } from '../i18n.ts';
import { shouldSuggestNotifications, turnNotificationsOff, turnNotificationsOn } from '../notifications.ts';
import type { ViewState } from '../app-model.ts';

interface Props {
  state: ViewState;
  ownUserId: string;
  openId: string | null;
  onOpen: (id: string) => void;
  onNewChat: () => void;
  onNewCall: () => void;
  onInvite: () => void;
  onSettings: () => void;
}

export function ChatList({ state, ownUserId, openId, onOpen, onNewChat, onNewCall, onInvite, onSettings }: Props) {
  const { t, language } = useI18n();
  const [query, setQuery] = useState('');
  const shown = useMemo(
    () => state.conversations.filter((c) => c.name.toLowerCase().includes(query.trim().toLowerCase())),
    [state.conversations, query],
  );
  const listRef = useRef<HTMLUListElement>(null);
  const keys = useMemo(() => shown.map((c) => c.id), [shown]);
  // A thousand chats: only the rows in view (and a margin) are rendered.
  const v = useVirtualRows({ keys, scrollRef: listRef, estimate: 68, overscan: 6 });

  /** Focuses the row at `index`, scrolling it into the rendered window first if it is not there. */
  const focusRow = (index: number): void => {
    const find = (): HTMLButtonElement | null | undefined => listRef.current?.querySelector<HTMLButtonElement>(`li[aria-posinset="${index + 1}"] .chat-row`);
    const now = find();
    if (now) return now.focus();
    v.scrollToIndex(index);
    requestAnimationFrame(() => requestAnimationFrame(() => find()?.focus()));
  };

  // Arrow keys move between chats (and from the search field into the list), like a listbox.
  const onKey = (e: KeyboardEvent<HTMLElement>): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    if (shown.length === 0) return;
    const active = document.activeElement?.closest('li[aria-posinset]');
    const at = active && listRef.current?.contains(active) ? Number(active.getAttribute('aria-posinset')) - 1 : -1;
    if (at < 0 && (e.key === 'Home' || e.key === 'End')) return; // the search field keeps its own Home/End
    e.preventDefault();
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? shown.length - 1 : at < 0 ? (e.key === 'ArrowDown' ? 0 : -1) : at + (e.key === 'ArrowDown' ? 1 : -1);
    if (next < 0) e.currentTarget.querySelector<HTMLInputElement>('.search')?.focus();
    else if (next < shown.length) focusRow(next);
  };

  return (
    <section className="chat-list" aria-label={t('chats')} onKeyDown={onKey}>
      <header className="bar">
        <h1>{t('chats')}</h1>
        <div className="actions">
          <button type="button" onClick={onInvite}>
            {t('invite')}
          </button>
          <button type="button" className="icon" onClick={onNewCall} aria-label={t('newCall')} title={t('newCall')}>
            {/* A video camera: a new call is a video room anyone with its link can join. */}
            <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z" fill="currentColor" />
            </svg>
          </button>
          <button type="button" className="primary" onClick={onNewChat}>
            {t('newChat')}
          </button>
          <button type="button" className="icon" onClick={onSettings} aria-label={t('settings')} title={t('settings')}>
            ⚙
          </button>
        </div>
      </header>
      {state.revoked ? <p className="banner offline" role="alert">{t('revoked')}</p> : <ConnectionBanner state={state.connection} />}
      {state.conversations.length > 0 && <NotificationsSuggestion />}
      <input className="search" type="search" aria-label={t('search')} placeholder={t('search')} value={query} onChange={(e) => setQuery(e.target.value)} />
      {shown.length === 0 ? (
        <p className="empty">{query ? t('noMatches') : t('noChats')}</p>
      ) : (
        <ul role="list" ref={listRef}>
          {v.before > 0 && <li className="spacer" aria-hidden="true" style={{ height: v.before }} />}
          {shown.slice(v.start, v.end).map((c, i) => (
            <ChatRow
              key={c.id}
              rowRef={v.measure(c.id)}
              position={v.start + i + 1}
              count={shown.length}
              conversation={c}
              current={c.id === openId}
              ownUserId={ownUserId}
              preview={state.previews.get(c.id)}
              language={language}
              onOpen={onOpen}
            />
          ))}
          {v.after > 0 && <li className="spacer" aria-hidden="true" style={{ height: v.after }} />}
        </ul>
      )}
    </section>
  );
}

interface RowProps {
  conversation: Conversation;
  current: boolean;
  ownUserId: string;
  preview: MessageRecord | undefined;
  language: Language;
  onOpen: (id: string) => void;
  rowRef: Ref<HTMLLIElement>;
  /** 1-based place in the whole list and its length: only some rows are rendered, so they say so. */
  position: number;
  count: number;
}

function ChatRow({ conversation: c, current, ownUserId, preview, language, onOpen, rowRef, position, count }: RowProps) {
  const { t } = useI18n();
  const body = preview ? (preview.deleted ? t('deleted') : preview.text || (preview.attachment ? `📎 ${preview.attachment.name}` : preview.call ? `📹 ${t('videoCall')}` : '')) : '';
  const who = !preview || preview.deleted ? '' : preview.outgoing || preview.sender === ownUserId ? `${t('you')}: ` : c.type === 'group' ? `${usernameOf(preview.sender)}: ` : '';
  const label = `${t(c.type === 'group' ? 'groupChat' : 'chatWith', { name: c.name })}${c.unread ? `, ${t('unread', { count: c.unread })}` : ''}`;
  return (
    <li ref={rowRef} aria-posinset={position} aria-setsize={count}>
      <button type="button" className="chat-row" aria-current={current ? 'true' : undefined} onClick={() => onOpen(c.id)} aria-label={label}>
        <Avatar name={c.name} group={c.type === 'group'} />
        <span className="chat-row-main">
          <span className="chat-row-top">
            <span className="name">{c.name}</span>
            <time>{listTime(c.lastMessageAt, language, t)}</time>
          </span>
          <span className="chat-row-bottom">
            <span className="preview">
              {preview?.expiresAt !== undefined && '⏱ '}
              {who}
              {body}
            </span>
            {c.unread > 0 && <span className="badge">{c.unread}</span>}
          </span>
        </span>
      </button>
    </li>
  );
}

/** A one-time offer to turn notifications on; the browser asks only after "Turn on" is pressed. */
function NotificationsSuggestion() {
  const { t } = useI18n();
  const [shown, setShown] = useState(shouldSuggestNotifications);
  if (!shown) return null;
  return (
    <div className="banner suggestion" role="region" aria-label={t('notifications')}>
      <span>{t('notificationsSuggestion')}</span>
      <span className="row">
        <button type="button" className="small" onClick={() => (turnNotificationsOff(), setShown(false))}>
          {t('notNow')}
        </button>
        <button type="button" className="small primary" onClick={() => void turnNotificationsOn().then(() => setShown(false))}>
          {t('turnOnNotifications')}
        </button>
      </span>
    </div>
  );
}

export function ConnectionBanner({ state }: { state: ViewState['connection'] }) {
  const { t } = useI18n();
  if (state === 'online') return null;
  return (
    <p className={`banner ${state}`} role="status">
      {state === 'offline' ? t('offline') : t('connecting')}
    </p>
  );
}

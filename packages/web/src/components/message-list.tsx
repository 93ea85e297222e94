import { Fragment, useId, useMemo, useRef, type KeyboardEvent, type ReactNode, type Ref, type RefObject } from 'react';
import type { Conversation, MessageRecord } from '@charla/sdk';
import { dayKey, dayLabel, usernameOf } from '../format.ts';
import { useI18n, type Translate } from '../i18n.ts';
import type { Notice } from '../notices.ts';
import { durationLabel } from './timer-setting.tsx';
import { useVirtualRows } from './use-virtual-rows.ts';

type Entry = { type: 'message'; ts: number; message: MessageRecord } | { type: 'notice'; ts: number; notice: Notice };

interface Props {
  conversation: Conversation;
  messages: MessageRecord[];
  notices: Notice[];
  ownUserId: string;
  renderMessage: (m: MessageRecord, rowRef: Ref<HTMLLIElement>) => ReactNode;
  onSafetyNumber: (userId: string) => void;
  listRef: RefObject<HTMLOListElement | null>;
}

/** One row of the timeline as rendered: the header notices, day separators, messages and notices. */
type Row = { key: string; kind: 'encrypted' | 'timer' } | { key: string; kind: 'day'; ts: number } | { key: string; kind: 'entry'; entry: Entry };

function timelineRows(messages: MessageRecord[], notices: Notice[], timer: boolean): Row[] {
  const entries: Entry[] = [
    ...messages.map((message): Entry => ({ type: 'message', ts: message.ts, message })),
    ...notices.map((notice): Entry => ({ type: 'notice', ts: notice.ts, notice })),
  ].sort((a, b) => a.ts - b.ts);
  const rows: Row[] = [{ key: 'h:encrypted', kind: 'encrypted' }];
  if (timer) rows.push({ key: 'h:timer', kind: 'timer' });
  let day = '';
  for (const entry of entries) {
    const d = dayKey(entry.ts);
    if (d !== day) rows.push({ key: `d:${d}`, kind: 'day', ts: entry.ts });
    day = d;
    rows.push({ key: entry.type === 'message' ? `m:${entry.message.id}` : `n:${entry.notice.id}`, kind: 'entry', entry });
  }
  return rows;
}

/**
 * The chat's timeline: messages and notices by time, with day separators. Keyboard: the list is one
 * tab stop; arrow keys, Home and End move between messages.
 */
export function MessageList({ conversation, messages, notices, ownUserId, renderMessage, onSafetyNumber, listRef }: Props) {
  const { t, language } = useI18n();
  const hintId = useId();
  const timer = conversation.timerSeconds > 0;
  const rows = useMemo(() => timelineRows(messages, notices, timer), [messages, notices, timer]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);
  // 10,000 messages cannot all be in the DOM: only the rows in view (and a margin) are.
  const v = useVirtualRows({ keys, scrollRef: listRef, estimate: 56, overscan: 10, stickToBottom: true });

  // A message this device sends scrolls to it, even when the view was elsewhere in the history.
  const lastKey = useRef(keys.at(-1));
  const last = rows.at(-1);
  if (lastKey.current !== keys.at(-1)) {
    lastKey.current = keys.at(-1);
    if (last?.kind === 'entry' && last.entry.type === 'message' && last.entry.message.outgoing) queueMicrotask(v.scrollToBottom);
  }

  const focusEdge = (list: HTMLOListElement, first: boolean): void => {
    // The row at the far end may not be rendered yet: scroll there, then focus it once it is.
    if (first) v.scrollToIndex(0);
    else v.scrollToBottom();
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const all = list.querySelectorAll<HTMLElement>('li.bubble');
        (first ? all[0] : all[all.length - 1])?.focus();
      }),
    );
  };

  const onKey = (e: KeyboardEvent<HTMLOListElement>): void => {
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    const target = e.target as HTMLElement;
    if (target !== e.currentTarget && !target.matches('li.bubble')) return; // keys inside menus and links are theirs
    const bubbles = [...e.currentTarget.querySelectorAll<HTMLElement>('li.bubble')];
    if (bubbles.length === 0) return;
    e.preventDefault();
    if (e.key === 'Home' || e.key === 'End') return focusEdge(e.currentTarget, e.key === 'Home');
    const at = bubbles.indexOf(target);
    const next = at < 0 ? bubbles.length - 1 : Math.max(0, Math.min(bubbles.length - 1, at + (e.key === 'ArrowUp' ? -1 : 1)));
    bubbles[next]?.focus();
  };

  const renderRow = (row: Row): ReactNode => {
    const ref = v.measure(row.key);
    switch (row.kind) {
      case 'encrypted':
        return (
          <li key={row.key} ref={ref} className="notice">
            🔒 {t('encrypted')}
          </li>
        );
      case 'timer':
        return (
          <li key={row.key} ref={ref} className="notice">
            ⏱ {t('timerOnNotice', { duration: durationLabel(conversation.timerSeconds, t) })}
          </li>
        );
      case 'day':
        return (
          <li key={row.key} ref={ref} className="day" role="separator">
            {dayLabel(row.ts, language, t)}
          </li>
        );
      case 'entry':
        return row.entry.type === 'message' ? (
          <Fragment key={row.key}>{renderMessage(row.entry.message, ref)}</Fragment>
        ) : (
          <li key={row.key} ref={ref} className={`notice ${row.entry.notice.kind === 'keyChange' ? 'warning' : ''}`}>
            <NoticeText notice={row.entry.notice} ownUserId={ownUserId} t={t} onSafetyNumber={onSafetyNumber} />
          </li>
        );
    }
  };

  return (
    <>
      <ol ref={listRef} className="messages" tabIndex={0} aria-label={t('messages')} aria-describedby={hintId} onKeyDown={onKey}>
        {v.before > 0 && <li className="spacer" aria-hidden="true" style={{ height: v.before }} />}
        {rows.slice(v.start, v.end).map(renderRow)}
        {v.after > 0 && <li className="spacer" aria-hidden="true" style={{ height: v.after }} />}
      </ol>
      <p id={hintId} hidden>
        {t('messagesHint')}
      </p>
    </>
  );
}

function NoticeText({ notice: n, ownUserId, t, onSafetyNumber }: { notice: Notice; ownUserId: string; t: Translate; onSafetyNumber: (userId: string) => void }) {
  const who = (user: string): string => (user === ownUserId ? t('you') : usernameOf(user));
  switch (n.kind) {
    case 'timer':
      return <>⏱ {n.seconds > 0 ? t('timerSetBy', { name: who(n.from), duration: durationLabel(n.seconds, t) }) : t('timerOffBy', { name: who(n.from) })}</>;
    case 'keyChange':
      return (
        <>
          {t('keyChanged', { name: usernameOf(n.user) })}{' '}
          <button type="button" className="link" onClick={() => onSafetyNumber(n.user)}>
            {t('checkSafetyNumber')}
          </button>
        </>
      );
    case 'members':
      return (
        <>
          {[
            ...n.added.filter((u) => u !== ownUserId).map((u) => t('memberJoined', { name: usernameOf(u) })),
            ...n.removed.map((u) => (u === ownUserId ? t('youLeft') : t('memberLeft', { name: usernameOf(u) }))),
          ].join(' ')}
        </>
      );
    case 'removedSelf':
      return <>{t('removedFromGroup')}</>;
    case 'created':
      return <>{t('youCreatedGroup')}</>;
  }
}

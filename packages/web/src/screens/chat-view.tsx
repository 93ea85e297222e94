import { useEffect, useMemo, useRef, useState } from 'react';
import type { CharlaClient, Conversation, MessageRecord } from '@charla/sdk';
import { sendFiles } from '../attachments.ts';
import { AttachmentView } from '../components/attachment-view.tsx';
import { CallCard } from '../components/call-card.tsx';
import { Avatar } from '../components/avatar.tsx';
import { Composer } from '../components/composer.tsx';
import { MessageItem } from '../components/message-item.tsx';
import { MessageList } from '../components/message-list.tsx';
import { describeError } from '../errors.ts';
import { shortTime, usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { ConnectionBanner } from './chat-list.tsx';
import type { ViewState } from '../app-model.ts';

interface Props {
  client: CharlaClient;
  conversation: Conversation;
  messages: MessageRecord[];
  state: ViewState;
  onBack: () => void;
  /** Opens the chat's info panel; on the safety number with a person when one is given. */
  onInfo: (safetyWith?: string) => void;
  onError: (message: string) => void;
  /** After marking the chat read (the SDK clears the unread count without an event). */
  onRead: () => void;
  /** Opens a room link (a call of this chat) in this tab. */
  onJoinCall: (link: string) => void;
}

export function ChatView({ client, conversation, messages, state, onBack, onInfo, onError, onRead, onJoinCall }: Props) {
  const { t, language } = useI18n();
  const [replyTo, setReplyTo] = useState<MessageRecord | null>(null);
  const [editing, setEditing] = useState<MessageRecord | null>(null);
  const [upload, setUpload] = useState<{ name: string; done: number; total: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [calling, setCalling] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const typing = (state.typing.get(conversation.id) ?? []).filter((u) => u !== client.userId);
  const notices = state.notices.get(conversation.id) ?? [];
  const canWrite = !conversation.left && !state.revoked;

  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
  }, [conversation.id]);

  // Read receipts go out only while the person can see the chat: not from a background tab.
  useEffect(() => {
    const markRead = (): void => {
      if (document.hidden || conversation.left) return;
      if (conversation.unread > 0 || messages.some((m) => !m.outgoing)) void client.markRead(conversation.id).then(onRead, () => undefined);
    };
    markRead();
    document.addEventListener('visibilitychange', markRead);
    return () => document.removeEventListener('visibilitychange', markRead);
  }, [messages.length, conversation.id]);

  const run = (action: Promise<unknown>): void => {
    action.catch((error: unknown) => onError(describeError(error, t)));
  };

  const attach = (files: readonly File[]): void => {
    if (files.length === 0 || !canWrite) return;
    run(sendFiles(client, conversation.id, files, (name, done, total) => setUpload({ name, done, total })).finally(() => setUpload(null)));
  };

  const infoLabel = conversation.type === 'group' ? t('groupInfo') : t('chatInfo');
  const subtitle =
    conversation.type === 'group'
      ? conversation.members.map((u) => (u === client.userId ? t('you') : usernameOf(u))).join(', ')
      : typing.length > 0
        ? t('typingShort')
        : '';

  return (
    <section
      className={`chat-view ${dragging ? 'dragging' : ''}`}
      aria-label={t('chatWith', { name: conversation.name })}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files') && canWrite) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        attach([...e.dataTransfer.files]);
      }}
    >
      <header className="bar">
        <button type="button" className="icon back" onClick={onBack} aria-label={t('back')}>
          ←
        </button>
        <span className="title" onClick={() => onInfo()}>
          <Avatar name={conversation.name} size={36} />
          <span className="title-text">
            <h1>{conversation.name}</h1>
            {subtitle && <span className="subtitle">{subtitle}</span>}
          </span>
        </span>
        {canWrite && (
          <button
            type="button"
            className="icon"
            aria-label={t('startCall')}
            title={t('startCall')}
            disabled={calling}
            onClick={() => {
              setCalling(true);
              client
                .startCall(conversation.id)
                .then((call) => onJoinCall(call.link))
                .catch((error: unknown) => onError(describeError(error, t)))
                .finally(() => setCalling(false));
            }}
          >
            <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z" fill="currentColor" />
            </svg>
          </button>
        )}
        <button type="button" className="icon" onClick={() => onInfo()} aria-label={infoLabel} title={infoLabel}>
          {/* An SVG: the ⓘ character is missing from many systems' fonts. */}
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" strokeWidth="2" />
            <rect x="11" y="10" width="2" height="7" rx="1" fill="currentColor" />
            <circle cx="12" cy="7" r="1.3" fill="currentColor" />
          </svg>
        </button>
      </header>
      <ConnectionBanner state={state.connection} />
      <MessageList
        key={conversation.id}
        conversation={conversation}
        messages={messages}
        notices={notices}
        ownUserId={client.userId}
        onSafetyNumber={(userId) => onInfo(userId)}
        listRef={listRef}
        renderMessage={(m, rowRef) => (
          <MessageItem
            key={m.id}
            rowRef={rowRef}
            message={m}
            quoted={m.inReplyTo ? byId.get(m.inReplyTo) : undefined}
            showSender={conversation.type === 'group' && !m.outgoing}
            onReply={() => {
              setEditing(null);
              setReplyTo(m);
            }}
            onReact={(emoji) => run(client.react(m.id, emoji, m.reactions[emoji]?.includes(client.userId) ?? false))}
            onEdit={() => {
              setReplyTo(null);
              setEditing(m);
            }}
            onDelete={() => run(client.deleteForEveryone(m.id))}
            attachment={
              m.deleted ? null : m.call ? (
                <CallCard client={client} message={m} onJoin={onJoinCall} />
              ) : m.attachment ? (
                <AttachmentView client={client} messageId={m.id} attachment={m.attachment} onError={(e) => onError(describeError(e, t))} />
              ) : null
            }
            timeText={shortTime(m.ts, language)}
          />
        )}
      />
      {typing.length > 0 && (
        <p className="typing" role="status">
          {t('typing', { name: typing.map(usernameOf).join(', ') })}
        </p>
      )}
      {canWrite ? (
        <Composer
          client={client}
          conversation={conversation}
          replyTo={replyTo}
          editing={editing}
          onClearContext={() => {
            setReplyTo(null);
            setEditing(null);
          }}
          run={run}
          attach={attach}
          upload={upload}
        />
      ) : (
        <p className="composer closed" role="status">
          {state.revoked ? t('revokedShort') : t('notAMember')}
        </p>
      )}
    </section>
  );
}

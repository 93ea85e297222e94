import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CharlaClient, Conversation, MessageRecord } from '@charla/sdk';
import { usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { EmojiPicker } from './emoji-picker.tsx';
import { Progress } from './progress.tsx';

interface Props {
  client: CharlaClient;
  conversation: Conversation;
  replyTo: MessageRecord | null;
  editing: MessageRecord | null;
  /** Drops the reply or edit in progress. */
  onClearContext: () => void;
  run: (action: Promise<unknown>) => void;
  /** Sends files (the chat view owns this: files dropped on it go the same way). */
  attach: (files: readonly File[]) => void;
  upload: { name: string; done: number; total: number } | null;
}

/** Writing a message: text (Enter sends, Shift+Enter breaks the line), emoji, files, paste. */
export function Composer({ client, conversation, replyTo, editing, onClearContext, run, attach, upload }: Props) {
  const { t } = useI18n();
  const [draft, setDraft] = useState('');
  const [emoji, setEmoji] = useState(false);
  const typingSent = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const emojiToggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (editing) setDraft(editing.text);
    if (editing || replyTo) textarea.current?.focus();
  }, [editing?.id, replyTo?.id]);

  const send = (): void => {
    const text = draft.trim();
    if (!text) return;
    setDraft('');
    if (editing) run(client.edit(editing.id, text));
    else run(client.sendText(conversation.id, text, replyTo ? { inReplyTo: replyTo.id } : {}));
    onClearContext();
    // The message itself ends "typing…" at once on the other side, instead of after its timeout.
    if (typingSent.current) run(client.sendTyping(conversation.id, false));
    typingSent.current = 0;
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && (replyTo || editing)) {
      if (editing) setDraft('');
      onClearContext();
    }
  };

  const onDraft = (value: string): void => {
    setDraft(value);
    // Typing notices at most every 3 s, only while there is text.
    if (value && Date.now() - typingSent.current > 3000) {
      typingSent.current = Date.now();
      run(client.sendTyping(conversation.id, true));
    }
  };

  const insertEmoji = (e: string): void => {
    const area = textarea.current;
    const start = area?.selectionStart ?? draft.length;
    const end = area?.selectionEnd ?? draft.length;
    setDraft(draft.slice(0, start) + e + draft.slice(end));
    requestAnimationFrame(() => {
      area?.focus();
      area?.setSelectionRange(start + e.length, start + e.length);
    });
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {(replyTo || editing) && (
        <div className="composer-context">
          <span>{editing ? t('editing') : t('replyingTo', { name: replyTo!.outgoing ? t('you') : usernameOf(replyTo!.sender) })}</span>
          <button
            type="button"
            className="link"
            onClick={() => {
              if (editing) setDraft('');
              onClearContext();
            }}
          >
            {t('cancel')}
          </button>
        </div>
      )}
      {upload && <Progress label={t('uploading', { name: upload.name })} done={upload.done} total={upload.total} />}
      {emoji && (
        <EmojiPicker
          onPick={(e) => {
            // One emoji is the common case: close and go back to writing.
            setEmoji(false);
            insertEmoji(e);
          }}
          onClose={() => {
            setEmoji(false);
            emojiToggle.current?.focus();
          }}
        />
      )}
      <input ref={fileInput} type="file" multiple hidden aria-label={t('attach')} onChange={(e) => (attach([...(e.target.files ?? [])]), (e.target.value = ''))} />
      <button type="button" className="icon" aria-label={t('attach')} title={t('attach')} onClick={() => fileInput.current?.click()}>
        📎
      </button>
      <button
        ref={emojiToggle}
        type="button"
        className="icon emoji-toggle"
        aria-label={t('emoji')}
        title={t('emoji')}
        aria-expanded={emoji}
        onClick={() => setEmoji(!emoji)}
      >
        😊
      </button>
      <textarea
        ref={textarea}
        aria-label={t('message')}
        placeholder={t('message')}
        rows={1}
        value={draft}
        onChange={(e) => onDraft(e.target.value)}
        onKeyDown={onKey}
        onPaste={(e) => {
          const files = [...e.clipboardData.files];
          if (files.length) {
            e.preventDefault();
            attach(files);
          }
        }}
      />
      <button type="submit" className="primary" disabled={!draft.trim()}>
        {editing ? t('save') : t('send')}
      </button>
    </form>
  );
}

import { useEffect, useRef, useState } from 'react';
import type { CharlaClient, Conversation } from '@charla/sdk';
import { Avatar } from '../components/avatar.tsx';
import { Dialog } from '../components/dialog.tsx';
import { GroupMembers } from '../components/group-members.tsx';
import { SafetyNumber } from '../components/safety-number.tsx';
import { TimerSetting } from '../components/timer-setting.tsx';
import { describeError } from '../errors.ts';
import { useI18n } from '../i18n.ts';

interface Props {
  client: CharlaClient;
  conversation: Conversation;
  conversations: Conversation[];
  /** Open on the safety number with this person (from a "safety number changed" notice). */
  safetyWith: string | undefined;
  onClose: () => void;
  onLeft: () => void;
  /** After each change: some are applied by the SDK without an event. */
  onChanged: () => Promise<void>;
  onError: (message: string) => void;
}

/** A chat's info panel: members (groups), disappearing messages, safety number; leaving a group. */
export function ChatInfo({ client, conversation: c, conversations, safetyWith, onClose, onLeft, onChanged, onError }: Props) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  // In a group, each member's safety number is a view of its own; in a 1:1 chat it is in the panel.
  const [verifying, setVerifying] = useState<string | null>(c.type === 'group' ? (safetyWith ?? null) : null);
  const safetyRef = useRef<HTMLDivElement>(null);
  const isGroup = c.type === 'group';
  const isAdmin = isGroup && (c.admins.length === 0 || c.admins.includes(client.userId));

  useEffect(() => {
    if (safetyWith && c.type === 'direct') safetyRef.current?.scrollIntoView({ block: 'start' });
  }, [safetyWith]);

  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await action();
      await onChanged();
    } catch (error) {
      onError(describeError(error, t));
    } finally {
      setBusy(false);
    }
  };

  if (verifying) {
    return (
      <Dialog title={t('safetyNumber')} onClose={onClose}>
        <div className="panel">
          <button type="button" className="link" onClick={() => setVerifying(null)}>
            ← {t('groupInfo')}
          </button>
          <SafetyNumber client={client} userId={verifying} />
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={isGroup ? t('groupInfo') : t('chatInfo')} onClose={onClose} wide>
      <div className="panel">
        <div className="info-head">
          <Avatar name={c.name} size={64} group={isGroup} />
          <h3>{c.name}</h3>
          {!isGroup && c.peer && <p className="hint">{c.peer}</p>}
        </div>
        {isGroup && isAdmin && !c.left && <RenameForm name={c.name} busy={busy} onRename={(name) => void run(() => client.renameGroup(c.id, name))} />}
        {isGroup && (
          <GroupMembers client={client} conversation={c} conversations={conversations} isAdmin={isAdmin} busy={busy} run={run} onVerify={setVerifying} />
        )}
        <TimerSetting seconds={c.timerSeconds} disabled={busy || c.left} onChange={(s) => void run(() => client.setTimer(c.id, s))} />
        {!isGroup && c.peer && (
          <div ref={safetyRef}>
            <SafetyNumber client={client} userId={c.peer} />
          </div>
        )}
        {isGroup && !c.left && <LeaveGroup name={c.name} busy={busy} onLeave={() => void run(() => client.leaveGroup(c.id)).then(onLeft)} />}
      </div>
    </Dialog>
  );
}

function RenameForm({ name, busy, onRename }: { name: string; busy: boolean; onRename: (name: string) => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState(name);
  useEffect(() => setValue(name), [name]);
  return (
    <form
      className="inline-field"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() && value.trim() !== name) onRename(value.trim());
      }}
    >
      <label className="grow">
        {t('groupName')}
        <input required maxLength={64} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit" disabled={busy || !value.trim() || value.trim() === name}>
        {t('rename')}
      </button>
    </form>
  );
}

function LeaveGroup({ name, busy, onLeave }: { name: string; busy: boolean; onLeave: () => void }) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="danger wide" onClick={() => setConfirming(true)}>
        {t('leaveGroup')}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={t('leaveGroup')}>
      <p>{t('leaveConfirm', { name })}</p>
      <div className="row">
        <button type="button" onClick={() => setConfirming(false)}>
          {t('cancel')}
        </button>
        <button type="button" className="danger-solid" disabled={busy} onClick={onLeave}>
          {t('leave')}
        </button>
      </div>
    </div>
  );
}

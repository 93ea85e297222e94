import { useState, type FormEvent } from 'react';
import type { CharlaClient, Conversation } from '@charla/sdk';
import { Dialog } from '../components/dialog.tsx';
import { MemberPicker } from '../components/member-picker.tsx';
import { describeError } from '../errors.ts';
import { FormFooter } from '../components/form-footer.tsx';
import { useI18n } from '../i18n.ts';

interface Props {
  client: CharlaClient;
  conversations: Conversation[];
  onClose: () => void;
  onOpened: (c: Conversation) => void;
}

/** Start a 1:1 chat by username or invite link, or switch to making a group. */
export function NewChat({ client, conversations, onClose, onOpened }: Props) {
  const { t } = useI18n();
  const [mode, setMode] = useState<'direct' | 'group'>('direct');
  return (
    <Dialog title={mode === 'group' ? t('newGroup') : t('newChat')} onClose={onClose}>
      {mode === 'direct' ? (
        <DirectForm client={client} onOpened={onOpened} onGroup={() => setMode('group')} />
      ) : (
        <GroupForm client={client} conversations={conversations} onOpened={onOpened} />
      )}
    </Dialog>
  );
}

function DirectForm({ client, onOpened, onGroup }: { client: CharlaClient; onOpened: (c: Conversation) => void; onGroup: () => void }) {
  const { t } = useI18n();
  const [who, setWho] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const value = who.trim();
      onOpened(/^https?:\/\//.test(value) ? await client.acceptInvite(value) : await client.openDirect(value.replace(/^@/, '').toLowerCase()));
    } catch (err) {
      setError(describeError(err, t));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <button type="button" className="wide" onClick={onGroup}>
        👥 {t('newGroup')}
      </button>
      <label>
        {t('startByUsername')}
        <input autoFocus autoCapitalize="none" spellCheck={false} required value={who} onChange={(e) => setWho(e.target.value)} />
      </label>
      <FormFooter error={error} busy={busy} label={t('startChat')} busyLabel={t('working')} />
    </form>
  );
}

function GroupForm({ client, conversations, onOpened }: { client: CharlaClient; conversations: Conversation[]; onOpened: (c: Conversation) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (members.length === 0) {
      setError(t('pickSomeone'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onOpened(await client.createGroupChat(name.trim(), members));
    } catch (err) {
      setError(describeError(err, t));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <label>
        {t('groupName')}
        <input autoFocus required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <MemberPicker client={client} conversations={conversations} exclude={[]} selected={members} onChange={setMembers} />
      <FormFooter error={error} busy={busy} label={t('createGroup')} busyLabel={t('working')} />
    </form>
  );
}

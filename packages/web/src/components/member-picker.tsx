import { useId, useState } from 'react';
import type { CharlaClient, Conversation } from '@charla/sdk';
import { describeError } from '../errors.ts';
import { usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';

interface Props {
  client: CharlaClient;
  /** People to offer as checkboxes: those you have 1:1 chats with. */
  conversations: Conversation[];
  /** User ids already in the group: not offered. */
  exclude: readonly string[];
  selected: string[];
  onChange: (userIds: string[]) => void;
}

/**
 * Picks people: your contacts as checkboxes, and anyone else by username (checked against the
 * server before it is added, so a typo shows at once).
 */
export function MemberPicker({ client, conversations, exclude, selected, onChange }: Props) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldId = useId();
  const contacts = [
    ...new Set([
      ...conversations.filter((c) => c.type === 'direct' && c.peer && !c.left).map((c) => c.peer!),
      ...selected,
    ]),
  ].filter((u) => !exclude.includes(u) && u !== client.userId);

  const toggle = (userId: string, on: boolean): void => onChange(on ? [...new Set([...selected, userId])] : selected.filter((u) => u !== userId));

  const add = async (): Promise<void> => {
    const value = name.trim().replace(/^@/, '');
    if (!value) return;
    setError(null);
    const userId = client.directory.resolve(value);
    if (userId === client.userId || exclude.includes(userId)) {
      setName('');
      return;
    }
    setBusy(true);
    try {
      await client.directory.fetchUser(userId);
      toggle(userId, true);
      setName('');
    } catch (err) {
      setError(describeError(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="member-picker">
      <legend>{t('people')}</legend>
      {contacts.length > 0 && (
        <ul className="checklist">
          {contacts.map((u) => (
            <li key={u}>
              <label className="check">
                <input type="checkbox" checked={selected.includes(u)} onChange={(e) => toggle(u, e.target.checked)} />
                {usernameOf(u)}
              </label>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={fieldId}>{t('addByUsername')}</label>
      <div className="inline-field">
        <input
          id={fieldId}
          autoCapitalize="none"
          spellCheck={false}
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the person instead of submitting the whole form.
            if (e.key === 'Enter') {
              e.preventDefault();
              void add();
            }
          }}
        />
        <button type="button" onClick={() => void add()} disabled={busy || !name.trim()}>
          {t('addPerson')}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

import { useId, useState } from 'react';
import type { CharlaClient, Conversation } from '@charla/sdk';
import { usernameOf } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Avatar } from './avatar.tsx';
import { MemberPicker } from './member-picker.tsx';

interface Props {
  client: CharlaClient;
  conversation: Conversation;
  conversations: Conversation[];
  isAdmin: boolean;
  busy: boolean;
  run: (action: () => Promise<unknown>) => Promise<void>;
  onVerify: (userId: string) => void;
}

/** Who is in a group; admins can add and remove people and share the admin role. */
export function GroupMembers({ client, conversation: c, conversations, isAdmin, busy, run, onVerify }: Props) {
  const { t } = useI18n();
  const [adding, setAdding] = useState<string[] | null>(null);
  const me = client.userId;
  const headingId = useId();
  const members = [...c.members].sort((a, b) => (a === me ? -1 : b === me ? 1 : usernameOf(a).localeCompare(usernameOf(b))));
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{t('membersCount', { count: c.members.length })}</h3>
      <ul className="members">
        {members.map((u) => {
          const name = usernameOf(u);
          const admin = c.admins.includes(u);
          return (
            <li key={u}>
              <Avatar name={name} size={32} />
              <span className="member-name">
                {u === me ? t('you') : name}
                {admin && <span className="tag">{t('admin')}</span>}
              </span>
              <span className="member-actions">
                {u !== me && (
                  <button type="button" className="small" onClick={() => onVerify(u)} aria-label={t('verifyPerson', { name })}>
                    {t('verify')}
                  </button>
                )}
                {isAdmin && u !== me && !c.left && (
                  <>
                    <button
                      type="button"
                      className="small"
                      disabled={busy}
                      onClick={() => void run(() => client.setAdmin(c.id, u, !admin))}
                      aria-label={admin ? t('removeAdminPerson', { name }) : t('makeAdminPerson', { name })}
                    >
                      {admin ? t('removeAdmin') : t('makeAdmin')}
                    </button>
                    <button type="button" className="small danger" disabled={busy} onClick={() => void run(() => client.removeMembers(c.id, [u]))} aria-label={t('removePerson', { name })}>
                      {t('remove')}
                    </button>
                  </>
                )}
              </span>
            </li>
          );
        })}
      </ul>
      {isAdmin && !c.left && (
        adding === null ? (
          <button type="button" onClick={() => setAdding([])}>
            {t('addMembers')}
          </button>
        ) : (
          <form
            className="add-members"
            onSubmit={(e) => {
              e.preventDefault();
              if (adding.length === 0) return;
              void run(() => client.addMembers(c.id, adding)).then(() => setAdding(null));
            }}
          >
            <MemberPicker client={client} conversations={conversations} exclude={c.members} selected={adding} onChange={setAdding} />
            <div className="row">
              <button type="button" onClick={() => setAdding(null)}>
                {t('cancel')}
              </button>
              <button type="submit" className="primary" disabled={busy || adding.length === 0}>
                {t('addToGroup')}
              </button>
            </div>
          </form>
        )
      )}
    </section>
  );
}

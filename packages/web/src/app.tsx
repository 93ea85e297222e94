import { Suspense, lazy, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { CharlaClient } from '@charla/sdk';
import { AppModel } from './app-model.ts';
import { describeError } from './errors.ts';
import { I18nContext, pickLanguage, translator, useI18n, type Language } from './i18n.ts';
import { titleFor, watchForNotifications } from './notifications.ts';
import { ChatList } from './screens/chat-list.tsx';
import { ChatView } from './screens/chat-view.tsx';
import { Onboarding } from './screens/onboarding.tsx';
import { existingClient, pendingInvite, pendingLink } from './session.ts';

const LANGUAGE_KEY = 'charla.language';

// A room's page (`/r/<roomId>#…`, or `/r/new` to create one) loads its screens on demand.
const RoomPage = lazy(() => import('./rooms/room-page.tsx').then((m) => ({ default: m.RoomPage })));
const isRoomPath = (): boolean => location.pathname.startsWith('/r/');

export function App() {
  const [language, setLanguageState] = useState<Language>(() => pickLanguage(localStorage.getItem(LANGUAGE_KEY), navigator.languages));
  const i18n = useMemo(
    () => ({
      t: translator(language),
      language,
      setLanguage: (l: Language) => {
        localStorage.setItem(LANGUAGE_KEY, l);
        setLanguageState(l);
      },
    }),
    [language],
  );
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const [model, setModel] = useState<AppModel | null>(null);
  const [booted, setBooted] = useState(false);
  const invite = useMemo(pendingInvite, []);
  const linkCode = useMemo(pendingLink, []);
  const [openId, setOpenId] = useState<string | null>(null);
  const [inRoom, setInRoom] = useState(isRoomPath);
  useEffect(() => {
    const onPop = (): void => setInRoom(isRoomPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const start = async (client: CharlaClient): Promise<void> => {
    const m = new AppModel(client);
    setModel(m);
    await m.start();
    // A used link code has no business staying in the address bar (or the history).
    if (linkCode) history.replaceState(null, '', '/');
    if (invite) {
      history.replaceState(null, '', '/');
      try {
        const conv = await client.acceptInvite(invite.link);
        await m.open(conv.id);
        setOpenId(conv.id);
      } catch (error) {
        m.reportError(describeError(error, i18n.t));
      }
    }
  };

  useEffect(() => {
    void existingClient().then(async (client) => {
      setBooted(true);
      if (client) await start(client);
    });
  }, []); // runs once: the device's client is opened at boot

  if (inRoom) {
    // Guests have no account: the room does not wait for one. With one, "back" returns to the chats.
    const leaveRoom = model
      ? () => {
          history.pushState(null, '', '/');
          setInRoom(false);
        }
      : undefined;
    return (
      <I18nContext.Provider value={i18n}>
        <Suspense fallback={null}>
          <RoomPage key={location.pathname} client={model?.client} booted={booted} onExit={leaveRoom} />
        </Suspense>
      </I18nContext.Provider>
    );
  }
  if (!booted) return null;
  const openRoom = (path: string): void => {
    history.pushState(null, '', path);
    setInRoom(true);
  };
  const newCall = (): void => openRoom('/r/new');
  /** A call's link: in this tab when it is this server's room, else on its own server. */
  const joinCall = (link: string): void => {
    const url = new URL(link);
    if (url.origin === location.origin) openRoom(url.pathname + url.hash);
    else location.assign(link);
  };
  return (
    <I18nContext.Provider value={i18n}>
      {model ? <Main model={model} openId={openId} setOpenId={setOpenId} onNewCall={newCall} onJoinCall={joinCall} /> : <Onboarding invitedBy={invite?.username} linkCode={linkCode} onReady={(c) => void start(c)} />}
    </I18nContext.Provider>
  );
}

const NewChat = lazy(() => import('./screens/new-chat.tsx').then((m) => ({ default: m.NewChat })));
const Invite = lazy(() => import('./screens/invite.tsx').then((m) => ({ default: m.Invite })));
const ChatInfo = lazy(() => import('./screens/chat-info.tsx').then((m) => ({ default: m.ChatInfo })));
const Settings = lazy(() => import('./screens/settings.tsx').then((m) => ({ default: m.Settings })));

type Panel = { kind: 'new' } | { kind: 'invite' } | { kind: 'settings' } | { kind: 'info'; safetyWith?: string };

function Main({ model, openId, setOpenId, onNewCall, onJoinCall }: { model: AppModel; openId: string | null; setOpenId: (id: string | null) => void; onNewCall: () => void; onJoinCall: (link: string) => void }) {
  const { t } = useI18n();
  const state = useSyncExternalStore(model.subscribe, model.getSnapshot);
  const [panel, setPanel] = useState<Panel | null>(null);
  // An open chat is a history entry, so a phone's back button returns to the chat list.
  const open = (id: string): void => {
    void model.open(id);
    const entry = { chat: id };
    if ((history.state as { chat?: string } | null)?.chat) history.replaceState(entry, '');
    else history.pushState(entry, '');
    setOpenId(id);
  };
  const back = (): void => {
    if ((history.state as { chat?: string } | null)?.chat) history.back();
    else setOpenId(null);
  };
  useEffect(() => {
    const onPop = (): void => {
      const chat = (history.state as { chat?: string } | null)?.chat ?? null;
      if (chat) void model.open(chat);
      setOpenId(chat);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const conversation = openId ? state.conversations.find((c) => c.id === openId) : undefined;
  const unread = state.conversations.reduce((sum, c) => sum + c.unread, 0);
  useEffect(() => {
    document.title = titleFor(unread, t('appName'));
  }, [unread, t]);
  // The translator is read when a notification shows, so it follows language changes.
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => watchForNotifications(model.client, () => tRef.current, open), [model]);

  const close = (): void => setPanel(null);
  return (
    <div className={`layout ${conversation ? 'has-chat' : ''}`}>
      <ChatList
        state={state}
        ownUserId={model.client.userId}
        openId={openId}
        onOpen={open}
        onNewChat={() => setPanel({ kind: 'new' })}
        onNewCall={onNewCall}
        onInvite={() => setPanel({ kind: 'invite' })}
        onSettings={() => setPanel({ kind: 'settings' })}
      />
      {conversation ? (
        <ChatView
          client={model.client}
          conversation={conversation}
          messages={state.messages.get(conversation.id) ?? []}
          state={state}
          onBack={back}
          onInfo={(safetyWith) => setPanel({ kind: 'info', ...(safetyWith ? { safetyWith } : {}) })}
          onError={(message) => model.reportError(message)}
          onRead={() => void model.refresh(conversation.id)}
          onJoinCall={onJoinCall}
        />
      ) : (
        <section className="chat-view placeholder" aria-hidden="true">
          <p>🔒 {t('encrypted')}</p>
        </section>
      )}
      {state.lastError && (
        <p className="toast" role="alert">
          <span>{state.lastError}</span>
          <button type="button" className="icon" aria-label={t('close')} onClick={() => model.reportError(null)}>
            ✕
          </button>
        </p>
      )}
      <Suspense fallback={null}>
        {panel?.kind === 'new' && (
          <NewChat
            client={model.client}
            conversations={state.conversations}
            onClose={close}
            onOpened={(c) => {
              close();
              open(c.id);
            }}
          />
        )}
        {panel?.kind === 'invite' && <Invite client={model.client} onClose={close} />}
        {panel?.kind === 'settings' && <Settings client={model.client} revoked={state.revoked} onClose={close} />}
        {panel?.kind === 'info' && conversation && (
          <ChatInfo
            client={model.client}
            conversation={conversation}
            conversations={state.conversations}
            safetyWith={panel.safetyWith}
            onClose={close}
            onLeft={() => close()}
            onChanged={() => model.refresh(conversation.id)}
            onError={(message) => model.reportError(message)}
          />
        )}
      </Suspense>
    </div>
  );
}

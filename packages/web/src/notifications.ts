import type { CharlaClient } from '@charla/sdk';
import { usernameOf } from './format.ts';
import type { Translate } from './i18n.ts';

const OPT_IN_KEY = 'charla.notifications';

export type NotificationStatus = 'unsupported' | 'off' | 'on' | 'blocked';

export function notificationStatus(): NotificationStatus {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  return Notification.permission === 'granted' && localStorage.getItem(OPT_IN_KEY) === 'on' ? 'on' : 'off';
}

/** Asks the browser only after the person pressed the button (browsers require a gesture anyway). */
export async function turnNotificationsOn(): Promise<NotificationStatus> {
  if (typeof Notification === 'undefined') return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission === 'granted') localStorage.setItem(OPT_IN_KEY, 'on');
  return notificationStatus();
}

/** Whether to suggest notifications in the chat list: never asked, never declined. */
export function shouldSuggestNotifications(): boolean {
  return notificationStatus() === 'off' && Notification.permission === 'default' && localStorage.getItem(OPT_IN_KEY) === null;
}

export function turnNotificationsOff(): void {
  localStorage.setItem(OPT_IN_KEY, 'off');
}

/**
 * Shows "New message from NAME" while the tab is hidden. Never the text: notifications show on
 * lock screens and in notification centres, where anyone nearby can read them.
 */
export function watchForNotifications(client: CharlaClient, t: () => Translate, onOpen: (conversationId: string) => void): () => void {
  return client.on('message', (m) => {
    if (m.outgoing || !document.hidden || notificationStatus() !== 'on') return;
    void client.conversations.get(m.conversationId).then((conv) => {
      const translate = t();
      const name = usernameOf(m.sender);
      const body = conv?.type === 'group' ? translate('newMessageInGroup', { name, group: conv.name }) : translate('newMessageFrom', { name });
      // The tag folds several messages of one chat into one notification.
      const n = new Notification(translate('appName'), { body, tag: m.conversationId, icon: '/icon.svg' });
      n.onclick = () => {
        window.focus();
        onOpen(m.conversationId);
        n.close();
      };
    });
  });
}

/** "(3) Charla" while there are unread messages, so a background tab shows it. */
export function titleFor(unread: number, appName: string): string {
  return unread > 0 ? `(${unread}) ${appName}` : appName;
}

import { CharlaClient, IndexedDbStore, joinDeviceLink, loginAccount, registerAccount, type LocalStore } from '@charla/sdk';

/** The server this app was loaded from is the user's server. */
export const serverUrl = (): string => location.origin;

let storePromise: Promise<LocalStore> | undefined;
export function localStore(): Promise<LocalStore> {
  storePromise ??= IndexedDbStore.open('charla');
  return storePromise;
}

/** The client of this browser's device, if it has signed up or logged in before. */
export async function existingClient(): Promise<CharlaClient | undefined> {
  const store = await localStore();
  try {
    return await CharlaClient.open(store);
  } catch {
    return undefined;
  }
}

export async function signUp(username: string, password: string): Promise<CharlaClient> {
  const store = await localStore();
  await registerAccount(store, { serverUrl: serverUrl(), username, password, deviceName: browserName() });
  return CharlaClient.open(store);
}

export async function logIn(username: string, password: string): Promise<CharlaClient> {
  const store = await localStore();
  await loginAccount(store, { serverUrl: serverUrl(), username, password, deviceName: browserName() });
  return CharlaClient.open(store);
}

function browserName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

/** An invite link this page was opened from (`/i/<username>#<fingerprint>`), if any. */
export function pendingInvite(): { link: string; username: string } | undefined {
  const m = /^\/i\/([a-z0-9][a-z0-9._-]{2,31})\/?$/.exec(location.pathname);
  if (!m || location.hash.length < 2) return undefined;
  return { link: location.href, username: m[1]! };
}

/** Joins this browser to an account through a link code shown by one of its devices ([LINK-*]). */
export async function linkThisBrowser(code: string): Promise<CharlaClient> {
  const store = await localStore();
  await joinDeviceLink(store, code, { serverUrl: serverUrl(), deviceName: browserName() });
  return CharlaClient.open(store);
}

/** A device-link URL this page was opened from (`/link#<code>`), if any. */
export function pendingLink(): string | undefined {
  return location.pathname === '/link' && location.hash.length > 1 ? location.hash.slice(1) : undefined;
}

/**
 * Where a room page gets its room: the path `/r/<roomId>` and the fragment `#<secret>` (a guest
 * link) or `#<secret>.<hostToken>` (the host's link). The fragment never reaches the server.
 *
 * The host token does not stay in the address bar: it is kept in this browser's storage (so a
 * reload keeps the role) and the bar shows the guest link, which is then safe to copy and share.
 */
const ROOM_PATH = /^\/r\/([A-Za-z0-9_-]{22})\/?$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;

export interface RoomAddress {
  roomId: string;
  secret: string;
  hostToken?: string;
}

/** The room this page is about, or undefined when the path is not a room's. `secret` may be '' (a cut link). */
export function roomFromLocation(loc: { pathname: string; hash: string }): RoomAddress | undefined {
  const m = ROOM_PATH.exec(loc.pathname);
  if (!m) return undefined;
  const [secret = '', hostToken] = loc.hash.replace(/^#/, '').split('.');
  const roomId = m[1]!;
  if (!KEY.test(secret)) return { roomId, secret: '' };
  return hostToken && KEY.test(hostToken) ? { roomId, secret, hostToken } : { roomId, secret };
}

/** The link anyone may be given: the room and its secret, never the host token. */
export function guestLink(origin: string, room: { roomId: string; secret: string }): string {
  return `${origin}/r/${room.roomId}#${room.secret}`;
}

export function hostLink(origin: string, room: { roomId: string; secret: string; hostToken: string }): string {
  return `${guestLink(origin, room)}.${room.hostToken}`;
}

const hostKey = (roomId: string): string => `charla.room.host.${roomId}`;

export function rememberHostToken(roomId: string, token: string): void {
  try {
    localStorage.setItem(hostKey(roomId), token);
  } catch {
    // Storage may be unavailable (private mode): the role then lasts only as long as this page.
  }
}

export function savedHostToken(roomId: string): string | undefined {
  try {
    const t = localStorage.getItem(hostKey(roomId));
    return t && KEY.test(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

const NAME_KEY = 'charla.room.name';

export function savedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // not remembered: the field starts empty next time
  }
}

import { fromBase64Url, toBase64Url } from '@charla/protocol';
import { sha256 } from '@charla/crypto';
import { SdkError } from './errors.ts';

/**
 * Invite links: `<server>/i/<username>#<fingerprint>`. The fragment (never sent to the server by
 * browsers) is the first 16 bytes of SHA-256 of the account key, so whoever opens the link can
 * tell whether the server presents the same key the inviter has.
 */
export async function keyFingerprint(accountPublicKey: Uint8Array): Promise<string> {
  return toBase64Url((await sha256(accountPublicKey)).subarray(0, 16));
}

export async function makeInviteLink(serverUrl: string, username: string, accountPublicKey: Uint8Array): Promise<string> {
  return `${serverUrl.replace(/\/+$/, '')}/i/${username}#${await keyFingerprint(accountPublicKey)}`;
}

export interface ParsedInvite {
  server: string;
  username: string;
  fingerprint: string;
}

export function parseInviteLink(link: string): ParsedInvite {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    throw new SdkError('BAD_INVITE', 'that is not an invite link');
  }
  const m = /^\/i\/([a-z0-9][a-z0-9._-]{2,31})\/?$/.exec(url.pathname);
  const fingerprint = url.hash.slice(1);
  if (!m || !/^[A-Za-z0-9_-]{22}$/.test(fingerprint)) throw new SdkError('BAD_INVITE', 'that is not a Charla invite link');
  fromBase64Url(fingerprint);
  return { server: url.origin, username: m[1]!, fingerprint };
}

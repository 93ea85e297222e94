import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { deviceCredentialBytes, Http, PROTOCOL_VERSION } from '@charla/protocol';

/** An account made through the public HTTP API, as a client would (minus the password KDF: authKey is random). */
export interface BenchAccount {
  username: string;
  userId: string;
  authKey: string;
  accountKey: KeyObject;
}

export interface BenchDevice {
  account: BenchAccount;
  deviceId: string;
  token: string;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

async function call(base: string, name: keyof typeof Http, body: unknown, token?: string): Promise<unknown> {
  const m = Http[name];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(base + m.path, { method: m.method, headers, body: JSON.stringify(body) });
    const text = await res.text();
    // Retried a few times: a busy server may shed a request while thousands are set up at once.
    if (res.status === 429 || res.status === 503) {
      if (attempt > 20) throw new Error(`${name}: still ${res.status} after retries`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text.length > 0 ? JSON.parse(text) : null;
  }
}

export async function register(base: string, username: string): Promise<BenchAccount> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const authKey = b64(randomBytes(32));
  const body = {
    username,
    authKey,
    kdf: { alg: 'scrypt', salt: b64(randomBytes(16)), N: 16384, r: 8, p: 1 },
    accountPublicKey: b64(rawPublicKey(publicKey)),
    encryptedAccountKey: b64(randomBytes(60)),
  };
  const r = (await call(base, 'register', body)) as { userId: string };
  return { username, userId: r.userId, authKey, accountKey: privateKey };
}

/** Login (a new device) and activation with a real account-key signature over the device credential ([DEV-2]). */
export async function newDevice(base: string, account: BenchAccount, activate: boolean): Promise<BenchDevice> {
  const r = (await call(base, 'login', { username: account.username, authKey: account.authKey, deviceName: 'bench' })) as { token: string; deviceId: string };
  if (activate) {
    const signatureKey = rawPublicKey(generateKeyPairSync('ed25519').publicKey);
    const credentialSignature = sign(null, deviceCredentialBytes(account.userId, r.deviceId, signatureKey), account.accountKey);
    await call(base, 'activateDevice', { signatureKey: b64(signatureKey), credentialSignature: b64(credentialSignature) }, r.token);
  }
  return { account, deviceId: r.deviceId, token: r.token };
}

/** Runs `count` tasks with at most `concurrency` in flight; stops at the first failure. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  });
  await Promise.all(runners);
  return out;
}

/** A unique-enough username prefix for this run (a shared PostgreSQL may outlive a run). */
export function runPrefix(): string {
  return `b${randomBytes(4).toString('hex')}`;
}

export { PROTOCOL_VERSION };

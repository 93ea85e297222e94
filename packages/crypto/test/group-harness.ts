import assert from 'node:assert/strict';
import {
  commitChanges,
  createGroup,
  encryptMessage,
  joinFromWelcome,
  processMessage,
  type DeviceCredential,
  type GroupState,
  type IdentityVerifier,
  type Processed,
} from '../src/index.ts';
import { KeyStore, text, utf8 } from './fixtures.ts';

/** One simulated device: its credential, key-package store and current group state. */
export interface Member {
  device: DeviceCredential;
  store: KeyStore;
  state: GroupState;
}

/** `creator` makes a group and adds `others` in one commit; every member ends at epoch 1. */
export async function makeGroup(creator: DeviceCredential, others: DeviceCredential[], verify: IdentityVerifier): Promise<Member[]> {
  const first: Member = { device: creator, store: new KeyStore(), state: await createGroup(crypto.getRandomValues(new Uint8Array(16)), creator) };
  const joiners = await Promise.all(others.map(async (device) => ({ device, store: new KeyStore() })));
  const packages = await Promise.all(joiners.map(async (j) => (await j.store.generate(j.device))[0]!.publicBytes));
  const out = await commitChanges(first.state, { add: packages }, verify);
  first.state = out.newState;
  const members = [first];
  for (const j of joiners) {
    const { state } = await joinFromWelcome(out.welcome!, j.store.find, verify);
    members.push({ ...j, state });
  }
  return members;
}

/** `from` sends `message`; every other listed member decrypts it and must read the same text. */
export async function send(from: Member, to: Member[], message: string, verify: IdentityVerifier): Promise<void> {
  const sent = await encryptMessage(from.state, utf8(message));
  from.state = sent.newState;
  for (const m of to) {
    const got = await processMessage(m.state, sent.message, verify);
    assert.equal(got.kind, 'application');
    assert.equal(text(applicationOf(got).plaintext), message);
    assert.equal(applicationOf(got).sender.device, from.device.deviceId);
    m.state = got.newState;
  }
}

/** `committer`'s commit is accepted; `others` process it. Returns what each receiver saw. */
export async function commit(
  committer: Member,
  others: Member[],
  changes: Parameters<typeof commitChanges>[1],
  verify: IdentityVerifier,
): Promise<{ welcome: Uint8Array | null; seen: Extract<Processed, { kind: 'commit' }>[] }> {
  const out = await commitChanges(committer.state, changes, verify);
  committer.state = out.newState;
  const seen: Extract<Processed, { kind: 'commit' }>[] = [];
  for (const m of others) {
    const got = await processMessage(m.state, out.commit, verify);
    assert.equal(got.kind, 'commit');
    if (got.kind === 'commit') seen.push(got);
    m.state = got.newState;
  }
  return { welcome: out.welcome, seen };
}

export function applicationOf(p: Processed): Extract<Processed, { kind: 'application' }> {
  assert.equal(p.kind, 'application');
  return p as Extract<Processed, { kind: 'application' }>;
}

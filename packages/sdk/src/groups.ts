import { fromBase64Url, messageId, toBase64Url, type ClaimKeyPackagesResponse } from '@charla/protocol';
import {
  commitChanges,
  createGroup as mlsCreateGroup,
  decodeGroupState,
  encodeGroupState,
  groupEpoch,
  groupMembers,
  parseKeyPackage,
  type GroupState,
} from '@charla/crypto';
import type { z } from 'zod';
import type { Connection } from './connection.ts';
import type { Directory } from './directory.ts';
import { isApiError } from './errors.ts';
import type { HttpApi } from './http-api.ts';
import { deviceCredential } from './key-packages.ts';
import { NS, type Profile } from './profile.ts';
import type { SerialQueue } from './serial-queue.ts';
import type { LocalStore, StoreWrite } from './store.ts';

/** What a device keeps per MLS group. */
export interface GroupRecord {
  groupId: string;
  state: Uint8Array;
  epoch: number;
  /** Highest log seq of this group already applied locally; redeliveries at or below it are skipped. */
  processedSeq: number;
  conversationId: string | undefined;
  active: boolean;
  /** A commit sent but not yet confirmed: applied if the server's log shows it won. */
  pendingCommit?: { msgId: string; newState: Uint8Array };
}

export interface GroupContext {
  store: LocalStore;
  http: HttpApi;
  connection: () => Connection;
  queue: SerialQueue;
  profile: Profile;
  directory: Directory;
}

export interface MemberChanges {
  /** Key packages (public bytes) of devices to add. */
  add: Uint8Array[];
  /** Device ids to remove. */
  remove: string[];
}

const MAX_COMMIT_ATTEMPTS = 6;

export function loadGroup(store: LocalStore, groupId: string): Promise<GroupRecord | undefined> {
  return store.get<GroupRecord>(NS.groups, groupId);
}

export function putGroup(record: GroupRecord): StoreWrite {
  return { ns: NS.groups, key: record.groupId, value: record };
}

export function stateOf(record: GroupRecord): GroupState {
  return decodeGroupState(record.state);
}

export function withState(record: GroupRecord, state: GroupState): GroupRecord {
  return { ...record, state: encodeGroupState(state), epoch: groupEpoch(state) };
}

/** User ids with at least one device in the group. */
export function memberUsers(state: GroupState): string[] {
  return [...new Set(groupMembers(state).map((m) => m.user))].sort();
}

/** Creates an MLS group with this device alone and registers it with the server. */
export async function createGroup(ctx: GroupContext, conversationId: string | undefined): Promise<GroupRecord> {
  const groupId = toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  const state = await mlsCreateGroup(fromBase64Url(groupId), deviceCredential(ctx.profile));
  const record: GroupRecord = withState({ groupId, state: new Uint8Array(), epoch: 0, processedSeq: 0, conversationId: conversationId ?? groupId, active: true }, state);
  await ctx.store.write([putGroup(record)]);
  await ctx.connection().request({ t: 'createGroup', groupId });
  return record;
}

/** Claims key packages of every active device of `users`, except this device and devices to skip. */
export async function claimDevices(ctx: GroupContext, users: string[], skip: ReadonlySet<string> = new Set()): Promise<{ keyPackages: Uint8Array[]; missing: string[] }> {
  if (users.length === 0) return { keyPackages: [], missing: [] };
  const claimed: z.infer<typeof ClaimKeyPackagesResponse> = await ctx.http.call('claimKeyPackages', { users });
  const keyPackages = claimed.keyPackages
    .filter((k) => k.deviceId !== ctx.profile.deviceId && !skip.has(k.deviceId))
    .map((k) => fromBase64Url(k.keyPackage));
  return { keyPackages, missing: claimed.missing.map((m) => m.userId) };
}

/**
 * Commits membership changes, retrying after epoch conflicts: the state and the changes are
 * recomputed from scratch after catching up with the commit that won ([GRP-3]).
 * `compute` returns null when nothing (more) needs doing.
 */
export async function commitWithRetry(
  ctx: GroupContext,
  groupId: string,
  compute: (state: GroupState) => Promise<MemberChanges | null>,
): Promise<'committed' | 'nothing'> {
  for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
    const outcome = await ctx.queue.run(async () => {
      const record = await loadGroup(ctx.store, groupId);
      if (!record?.active) return { kind: 'nothing' as const };
      const state = stateOf(record);
      const changes = await compute(state);
      if (!changes || (changes.add.length === 0 && changes.remove.length === 0)) return { kind: 'nothing' as const };
      const out = await commitChanges(state, changes, ctx.directory.verifyIdentity);
      const msgId = messageId();
      const newState = encodeGroupState(out.newState);
      await ctx.store.write([putGroup({ ...record, pendingCommit: { msgId, newState } })]);
      const add = changes.add.map((kp) => parseKeyPackage(kp).identity.device);
      try {
        await ctx.connection().request(
          { t: 'commit', groupId, epoch: record.epoch, msgId, add, remove: changes.remove, commitBytes: out.commit.length },
          out.welcome ? [out.commit, out.welcome] : [out.commit],
        );
      } catch (error) {
        if (isApiError(error, 'EPOCH_CONFLICT')) {
          await ctx.store.write([putGroup({ ...record, pendingCommit: undefined })]);
          return { kind: 'conflict' as const, epoch: error.epoch ?? record.epoch + 1 };
        }
        throw error; // network errors keep pendingCommit: the log decides later whether it won
      }
      await ctx.store.write([putGroup({ ...withState(record, out.newState), pendingCommit: undefined })]);
      return { kind: 'committed' as const };
    });
    if (outcome.kind !== 'conflict') return outcome.kind;
    await waitForEpoch(ctx, groupId, outcome.epoch);
  }
  throw new Error(`could not commit to group after ${MAX_COMMIT_ATTEMPTS} epoch conflicts`);
}

/** Waits (bounded) until the incoming event stream has brought the group to `epoch`. */
export async function waitForEpoch(ctx: GroupContext, groupId: string, epoch: number | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await ctx.queue.idle();
    const record = await loadGroup(ctx.store, groupId);
    if (!record || epoch === undefined || record.epoch >= epoch) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Brings the devices of `userId` in the group in line with the user's active, verified devices:
 * adds new ones, removes revoked ones ([DEV-3]). Only for users who are members.
 */
export async function reconcileUserDevices(ctx: GroupContext, groupId: string, userId: string): Promise<'committed' | 'nothing'> {
  const user = await ctx.directory.fetchUser(userId);
  const active = new Set(user.devices.map((d) => d.deviceId));
  // A device that was just activated may not have uploaded its key packages yet: try again shortly.
  for (let attempt = 0; ; attempt++) {
    let waiting = false;
    const outcome = await commitWithRetry(ctx, groupId, async (state) => {
      const current = groupMembers(state).filter((m) => m.user === userId).map((m) => m.device);
      if (current.length === 0) return null;
      const remove = current.filter((d) => !active.has(d) && d !== ctx.profile.deviceId);
      const missingDevices = [...active].filter((d) => !current.includes(d));
      if (remove.length === 0 && missingDevices.length === 0) return null;
      const { keyPackages } = missingDevices.length ? await claimDevices(ctx, [userId], new Set(current)) : { keyPackages: [] };
      waiting = keyPackages.length < missingDevices.length;
      return { add: keyPackages, remove };
    });
    if (!waiting || attempt >= RECONCILE_RETRIES) return outcome;
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
}

// Waits of 200 ms, doubling: about 25 s in all. A device that was just linked uploads its key
// packages only after generating 30 of them; with five retries (6 s) a browser on a busy CI
// machine was once not added, and never got the next message.
const RECONCILE_RETRIES = 7;

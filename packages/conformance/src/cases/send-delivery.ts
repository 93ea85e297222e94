import { bytesEqual, randomId } from '@charla/protocol';
import type { Case } from '../case.ts';
import type { Context, Device } from '../harness/context.ts';
import { commitFrame, randomBytes } from '../harness/context.ts';
import { expectOk } from '../harness/http-client.ts';
import type { Connection } from '../harness/connection.ts';
import { check } from '../harness/failures.ts';

/** Ana (two devices) and Bob in one group at epoch 1, all connected and synced. */
async function trio(ctx: Context): Promise<{ groupId: string; welcomeSeq: number; ana: Device; ana2: Device; bob: Device; a: Connection; a2: Connection; b: Connection }> {
  const ana = await ctx.newDevice();
  const [ana2, bob] = await Promise.all([ctx.newDevice(ana.user), ctx.newDevice()]);
  const [a, a2, b] = await Promise.all([ctx.connect(ana, 'ana'), ctx.connect(ana2, 'ana2'), ctx.connect(bob, 'bob')]);
  await Promise.all([a.waitSynced(), a2.waitSynced(), b.waitSynced()]);
  const groupId = await ctx.createGroup(a);
  await ctx.commit(a, groupId, 0, [ana2, bob]);
  const [, welcome] = await Promise.all([a2.takeEvent((e) => e.header.kind === 'welcome', 'welcome'), b.takeEvent((e) => e.header.kind === 'welcome', 'welcome')]);
  return { groupId, welcomeSeq: welcome.header.seq, ana, ana2, bob, a, a2, b };
}

export const sendCases: readonly Case[] = [
  {
    rule: '[DEL-6]',
    title: "a message reaches every member device, the sender's own devices included, with its bytes and envelope",
    async run(ctx) {
      const { groupId, ana, a, a2, b } = await trio(ctx);
      const sent = await ctx.send(a, groupId, 1, randomBytes(300));
      check(sent.duplicate === false, 'a first send answered duplicate: true');
      // [SEND-7] the sending connection gets its own entry too, so its cursor can pass it.
      for (const conn of [a2, b, a]) {
        const ev = await conn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'app', `${conn.label} app event`);
        check(ev.header.seq === sent.seq && ev.header.msgId === sent.msgId && ev.header.epoch === 1, `${conn.label} envelope ${JSON.stringify(ev.header)}`);
        check(ev.header.sender?.deviceId === ana.deviceId && ev.header.sender.userId === ana.user.userId, `${conn.label} sender ${JSON.stringify(ev.header.sender)}`);
        check(ev.body !== null && bytesEqual(ev.body, sent.bytes), `${conn.label} received other bytes`);
      }
    },
  },
  {
    rule: '[DEL-1]',
    title: 'seq grows by exactly one per stored entry',
    async run(ctx) {
      const { groupId, a } = await trio(ctx);
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) seqs.push((await ctx.send(a, groupId, 1)).seq);
      check(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1), `seqs ${seqs.join(',')}`);
    },
  },
  {
    rule: '[SEND-2]',
    title: 'a message for another epoch answers EPOCH_CONFLICT with the current epoch and is not stored',
    async run(ctx) {
      const { groupId, a, b } = await trio(ctx);
      const msgId = randomId();
      const err = await a.err({ t: 'send', groupId, epoch: 0, msgId }, 'EPOCH_CONFLICT', randomBytes(32));
      check(err.epoch === 1, `EPOCH_CONFLICT carries epoch ${err.epoch}`);
      // The same msgId is still free: it was not stored.
      const sent = await ctx.send(a, groupId, 1, randomBytes(32), msgId);
      check(!sent.duplicate, 'the refused message was stored');
      const ev = await b.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'app', 'app');
      check(ev.header.seq === sent.seq, 'bob received the refused message');
    },
  },
  {
    rule: '[SEND-3]',
    title: 'resending a msgId with the same body answers duplicate; with another body MESSAGE_ID_REUSED',
    async run(ctx) {
      const { groupId, a, a2, b } = await trio(ctx);
      const first = await ctx.send(a, groupId, 1);
      const again = (await a.ok({ t: 'send', groupId, epoch: 1, msgId: first.msgId }, first.bytes)) as { seq: number; duplicate: boolean };
      check(again.duplicate === true && again.seq === first.seq, `resend answered ${JSON.stringify(again)}`);
      // Idempotency is per group, not per device: the same bytes from another device of the account are a duplicate too.
      const other = (await a2.ok({ t: 'send', groupId, epoch: 1, msgId: first.msgId }, first.bytes)) as { seq: number; duplicate: boolean };
      check(other.duplicate === true && other.seq === first.seq, `resend from ana2 answered ${JSON.stringify(other)}`);
      await a.err({ t: 'send', groupId, epoch: 1, msgId: first.msgId }, 'MESSAGE_ID_REUSED', randomBytes(64));
      const next = await ctx.send(a, groupId, 1);
      const ev1 = await b.takeEvent((e) => e.header.kind === 'app', 'first');
      const ev2 = await b.takeEvent((e) => e.header.kind === 'app', 'second');
      check(ev1.header.seq === first.seq && ev2.header.seq === next.seq, `bob got seqs ${ev1.header.seq}, ${ev2.header.seq}: a duplicate was stored`);
    },
  },
  {
    rule: '[SEND-1]',
    title: 'a send without body answers BAD_REQUEST; one over maxMessageBytes MESSAGE_TOO_LARGE',
    async run(ctx) {
      const { groupId, a } = await trio(ctx);
      await a.err({ t: 'send', groupId, epoch: 1, msgId: randomId() }, 'BAD_REQUEST');
      const size = ctx.info.limits.maxMessageBytes + 1;
      if (size + 200 < ctx.info.limits.maxFrameBytes) {
        await a.err({ t: 'send', groupId, epoch: 1, msgId: randomId() }, 'MESSAGE_TOO_LARGE', new Uint8Array(size));
      }
      await a.ok({ t: 'ping' });
    },
  },
  {
    rule: '[SEND-4]',
    title: 'ephemeral messages reach connected members with seq 0 and are never stored',
    async run(ctx) {
      const { groupId, a, b, bob } = await trio(ctx);
      await b.close();
      const b2 = await ctx.connect(bob, 'bob again');
      await b2.waitSynced();
      const res = (await a.ok({ t: 'send', groupId, epoch: 1, msgId: randomId(), ephemeral: true }, randomBytes(20))) as { seq: number };
      check(res.seq === 0, `ephemeral send answered seq ${res.seq}`);
      const ev = await b2.takeEvent((e) => e.header.groupId === groupId && e.header.ephemeral === true, 'ephemeral event');
      check(ev.header.seq === 0, `ephemeral event seq ${ev.header.seq}`);
      const info = (await a.ok({ t: 'groupInfo', groupId })) as { lastSeq: number };
      const stored = await ctx.send(a, groupId, 1);
      check(stored.seq === info.lastSeq + 1, 'an ephemeral message took a seq');
      // A device that was offline gets the stored message only.
      await b2.close();
      const b3 = await ctx.connect(bob, 'bob third');
      await b3.waitSynced();
      check(!b3.eventsOf(groupId).some((e) => e.ephemeral), 'an ephemeral message was delivered from the backlog');
    },
  },
  {
    rule: '[SEND-5]',
    title: 'expiresAt is carried to the receivers',
    async run(ctx) {
      const { groupId, a, b } = await trio(ctx);
      const expiresAt = Date.now() + 3_600_000;
      await a.ok({ t: 'send', groupId, epoch: 1, msgId: randomId(), expiresAt }, randomBytes(16));
      const ev = await b.takeEvent((e) => e.header.kind === 'app', 'app');
      check(ev.header.expiresAt === expiresAt, `event expiresAt ${ev.header.expiresAt}, sent ${expiresAt}`);
    },
  },
  {
    rule: '[SEND-6]',
    title: "redacting one's own message writes a redact entry; redacting someone else's answers FORBIDDEN",
    async run(ctx) {
      const { groupId, a, b } = await trio(ctx);
      const sent = await ctx.send(a, groupId, 1);
      await b.takeEvent((e) => e.header.kind === 'app', 'app');
      await b.err({ t: 'redact', groupId, msgId: sent.msgId }, 'FORBIDDEN');
      await a.ok({ t: 'redact', groupId, msgId: sent.msgId });
      const ev = await b.takeEvent((e) => e.header.kind === 'redact', 'redact event');
      check(ev.header.target === sent.msgId && ev.body === null, `redact event ${JSON.stringify(ev.header)}`);
    },
  },
  {
    rule: '[DEL-2]',
    title: 'after a cumulative ack, a reconnect delivers only the entries above the cursor, then synced',
    async run(ctx) {
      const { groupId, a, b, bob } = await trio(ctx);
      const sent = [await ctx.send(a, groupId, 1), await ctx.send(a, groupId, 1), await ctx.send(a, groupId, 1)];
      for (const s of sent) await b.takeEvent((e) => e.header.seq === s.seq, `seq ${s.seq}`);
      b.send({ t: 'ack', groupId, seq: sent[1]!.seq });
      await b.ok({ t: 'ping' }); // frames are processed in order: the ack is in before the ping's answer
      await b.close();
      const again = await ctx.connect(bob, 'bob again');
      await again.waitSynced();
      const seqs = again.eventsOf(groupId).map((e) => e.seq);
      check(seqs.length === 1 && seqs[0] === sent[2]!.seq, `backlog after ack of ${sent[1]!.seq}: ${seqs.join(',')}`);
      const syncedAt = again.frames.findIndex((f) => f.header.t === 'synced');
      const lastEv = again.frames.findLastIndex((f) => f.header.t === 'ev');
      check(lastEv < syncedAt, 'an event of the backlog came after synced');
    },
  },
  {
    rule: '[DEL-5]',
    title: 'entries not acked are delivered again on the next connection',
    async run(ctx) {
      const { groupId, a, b, bob } = await trio(ctx);
      const sent = await ctx.send(a, groupId, 1);
      await b.takeEvent((e) => e.header.seq === sent.seq, 'first delivery');
      await b.close();
      const again = await ctx.connect(bob, 'bob again');
      await again.waitSynced();
      check(again.eventsOf(groupId).some((e) => e.seq === sent.seq), 'an unacked entry was not redelivered');
    },
  },
  {
    rule: '[DEL-4]',
    title: 'an offline device gets its backlog in seq order, then synced, then live events',
    async run(ctx) {
      const { groupId, welcomeSeq, a, b, bob } = await trio(ctx);
      b.send({ t: 'ack', groupId, seq: welcomeSeq });
      await b.ok({ t: 'ping' });
      await b.close();
      const offline = [await ctx.send(a, groupId, 1), await ctx.send(a, groupId, 1)];
      const again = await ctx.connect(bob, 'bob again');
      await again.waitSynced();
      const seqs = again.eventsOf(groupId).filter((e) => e.kind === 'app').map((e) => e.seq);
      check(JSON.stringify(seqs) === JSON.stringify(offline.map((s) => s.seq)), `backlog ${seqs.join(',')}, expected ${offline.map((s) => s.seq).join(',')}`);
      const live = await ctx.send(a, groupId, 1);
      await again.takeEvent((e) => e.header.seq === live.seq, 'live event');
    },
  },
  {
    rule: '[DEL-2]',
    title: 'acking a group the device is not in answers NOT_A_MEMBER or UNKNOWN_GROUP',
    async run(ctx) {
      const { groupId } = await trio(ctx);
      const eve = await ctx.newDevice();
      const e = await ctx.connect(eve, 'eve');
      const answer = await e.request({ t: 'ack', groupId, seq: 1 });
      check(!answer.ok && (answer.error.code === 'NOT_A_MEMBER' || answer.error.code === 'UNKNOWN_GROUP'), `ack answered ${JSON.stringify(answer)}`);
    },
  },
];

export const sendMoreCases: readonly Case[] = [
  {
    rule: '[SEND-5]',
    title: 'an expired message is never delivered to a device that had not received it',
    async run(ctx) {
      const { groupId, a, b, bob } = await trio(ctx);
      await b.close();
      await a.ok({ t: 'send', groupId, epoch: 1, msgId: randomId(), expiresAt: Date.now() + 300 }, randomBytes(16));
      const kept = await ctx.send(a, groupId, 1);
      await new Promise((r) => setTimeout(r, 600));
      const again = await ctx.connect(bob, 'bob again');
      await again.waitSynced();
      const apps = again.eventsOf(groupId).filter((e) => e.kind === 'app');
      check(apps.length === 1 && apps[0]?.seq === kept.seq, `after expiry bob got ${JSON.stringify(apps.map((e) => [e.seq, e.expiresAt]))}`);
    },
  },
  {
    rule: '[SEND-3]',
    title: 'a commit resent with the same msgId and bytes answers its original seq, even after the epoch moved',
    async run(ctx) {
      const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const a = await ctx.connect(ana, 'ana');
      const groupId = await ctx.createGroup(a);
      const { header, body } = commitFrame(groupId, 0, [bob], []);
      const first = (await a.ok(header, body)) as { seq: number; epoch: number };
      await ctx.commit(a, groupId, 1, []);
      const again = (await a.ok(header, body)) as { seq: number; epoch: number; duplicate?: boolean };
      check(again.seq === first.seq && again.epoch === first.epoch && again.duplicate === true, `resent commit answered ${JSON.stringify(again)}`);
      await a.err({ ...header, epoch: 2 }, 'MESSAGE_ID_REUSED', [randomBytes(Number(header.commitBytes)), randomBytes(10)]);
    },
  },
  {
    rule: '[SEND-6]',
    title: 'redacting twice answers the first redaction with duplicate; an unknown msgId answers NOT_FOUND',
    async run(ctx) {
      const { groupId, a, a2 } = await trio(ctx);
      const sent = await ctx.send(a, groupId, 1);
      const first = (await a.ok({ t: 'redact', groupId, msgId: sent.msgId })) as { seq: number };
      // Any device of the sending account may redact.
      const second = (await a2.ok({ t: 'redact', groupId, msgId: sent.msgId })) as { seq: number; duplicate?: boolean };
      check(second.seq === first.seq && second.duplicate === true, `second redaction answered ${JSON.stringify(second)}`);
      await a.err({ t: 'redact', groupId, msgId: randomId() }, 'NOT_FOUND');
    },
  },
  {
    rule: '[DEV-6]',
    title: 'a revoked device leaves delivery at once, cannot be added, and may be removed by a commit',
    async run(ctx) {
      const { groupId, a, ana, ana2, a2 } = await trio(ctx);
      expectOk(await ctx.http.call('revokeDevice', { token: ana.token, params: { deviceId: ana2.deviceId } }), 'revokeDevice');
      await a.takeEvent((e) => e.header.kind === 'devices', 'devices event');
      const later = await ctx.send(a, groupId, 1);
      check(!a2.eventsOf(groupId).some((e) => e.seq >= later.seq), 'the revoked device received a later message');
      const add = commitFrame(groupId, 1, [ana2], []);
      await a.err(add.header, 'INVALID_MEMBERSHIP', add.body);
      const removal = await ctx.commit(a, groupId, 1, [], [ana2]);
      check(removal.epoch === 2, `removal answered epoch ${removal.epoch}`);
    },
  },
];

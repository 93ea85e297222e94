import { bytesEqual, randomId } from '@charla/protocol';
import type { Case } from '../case.ts';
import { commitFrame } from '../harness/context.ts';
import { check } from '../harness/failures.ts';

interface GroupInfo {
  epoch: number;
  lastSeq: number;
  members: { userId: string; deviceId: string }[];
}

export const groupCases: readonly Case[] = [
  {
    rule: '[GRP-1]',
    title: 'createGroup starts at epoch 0 with the creator as only member; a taken id answers GROUP_EXISTS',
    async run(ctx) {
      const ana = await ctx.newDevice();
      const conn = await ctx.connect(ana);
      const groupId = await ctx.createGroup(conn);
      const info = (await conn.ok({ t: 'groupInfo', groupId })) as unknown as GroupInfo;
      check(info.epoch === 0, `epoch ${info.epoch}`);
      check(info.members.length === 1 && info.members[0]?.deviceId === ana.deviceId, `members ${JSON.stringify(info.members)}`);
      await conn.err({ t: 'createGroup', groupId }, 'GROUP_EXISTS');
      const bob = await ctx.newDevice();
      await (await ctx.connect(bob)).err({ t: 'createGroup', groupId }, 'GROUP_EXISTS');
    },
  },
  {
    rule: '[GRP-2]',
    title: 'a commit adding a device moves the group to epoch + 1 and adds the member',
    async run(ctx) {
      const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const conn = await ctx.connect(ana);
      const groupId = await ctx.createGroup(conn);
      const result = await ctx.commit(conn, groupId, 0, [bob]);
      check(result.epoch === 1, `commit answered epoch ${result.epoch}`);
      const info = (await conn.ok({ t: 'groupInfo', groupId })) as unknown as GroupInfo;
      check(info.epoch === 1, `groupInfo epoch ${info.epoch}`);
      check(info.members.some((m) => m.deviceId === bob.deviceId && m.userId === bob.user.userId), 'the added device is not a member');
      check(info.lastSeq >= result.seq, `lastSeq ${info.lastSeq} < commit seq ${result.seq}`);
    },
  },
  {
    rule: '[GRP-3]',
    title: 'a commit for a past or future epoch answers EPOCH_CONFLICT with the current epoch',
    async run(ctx) {
      const [ana, bob, carol] = await Promise.all([ctx.newDevice(), ctx.newDevice(), ctx.newDevice()]);
      const conn = await ctx.connect(ana);
      const groupId = await ctx.createGroup(conn);
      await ctx.commit(conn, groupId, 0, [bob]);
      for (const epoch of [0, 5]) {
        const { header, body } = commitFrame(groupId, epoch, [carol], []);
        const err = await conn.err(header, 'EPOCH_CONFLICT', body);
        check(err.epoch === 1, `EPOCH_CONFLICT carries epoch ${err.epoch}, expected 1`);
      }
      const info = (await conn.ok({ t: 'groupInfo', groupId })) as unknown as GroupInfo;
      check(info.epoch === 1 && !info.members.some((m) => m.deviceId === carol.deviceId), 'a refused commit changed the group');
    },
  },
  {
    rule: '[GRP-3]',
    title: 'of concurrent commits for the same epoch exactly one wins; the loser catches up and retries',
    async run(ctx) {
      const [ana, bob, carol, dan] = await Promise.all([ctx.newDevice(), ctx.newDevice(), ctx.newDevice(), ctx.newDevice()]);
      const anaConn = await ctx.connect(ana, 'ana');
      const groupId = await ctx.createGroup(anaConn);
      await ctx.commit(anaConn, groupId, 0, [bob]);
      const bobConn = await ctx.connect(bob, 'bob');
      await bobConn.waitSynced();
      const a = commitFrame(groupId, 1, [carol], []);
      const b = commitFrame(groupId, 1, [dan], []);
      const [ra, rb] = await Promise.all([anaConn.request(a.header, a.body), bobConn.request(b.header, b.body)]);
      check(ra.ok !== rb.ok, `both commits ${ra.ok ? 'succeeded' : 'failed'}`);
      const [loserConn, loser] = ra.ok ? [bobConn, rb] : [anaConn, ra];
      check(!loser.ok && loser.error.code === 'EPOCH_CONFLICT' && loser.error.epoch === 2, `loser got ${JSON.stringify(loser)}`);
      // The loser sees the winning commit as an event, then retries at the new epoch.
      await loserConn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'commit' && e.header.epoch === 1, 'the winning commit');
      const retry = commitFrame(groupId, 2, [], []);
      const again = (await loserConn.ok(retry.header, retry.body)) as { epoch: number };
      check(again.epoch === 3, `retry answered epoch ${again.epoch}`);
    },
  },
  {
    rule: '[GRP-4]',
    title: 'the welcome goes only to the added devices, the commit only to the existing members',
    async run(ctx) {
      const [ana, bob, carol] = await Promise.all([ctx.newDevice(), ctx.newDevice(), ctx.newDevice()]);
      const anaConn = await ctx.connect(ana, 'ana');
      const bobConn = await ctx.connect(bob, 'bob');
      const carolConn = await ctx.connect(carol, 'carol');
      await Promise.all([anaConn.waitSynced(), bobConn.waitSynced(), carolConn.waitSynced()]);
      const groupId = await ctx.createGroup(anaConn);
      await ctx.commit(anaConn, groupId, 0, [bob]);
      await bobConn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'welcome', 'bob welcome');
      const { header, body } = commitFrame(groupId, 1, [carol], []);
      const res = (await anaConn.ok(header, body)) as { seq: number };
      const welcome = await carolConn.takeEvent((e) => e.header.groupId === groupId, 'carol first event');
      check(welcome.header.kind === 'welcome', `carol's first event is ${welcome.header.kind}, expected welcome`);
      check(welcome.body !== null && bytesEqual(welcome.body, body[1]!), 'welcome body differs from the welcome bytes sent');
      const commit = await bobConn.takeEvent((e) => e.header.groupId === groupId, 'bob commit event');
      check(commit.header.kind === 'commit' && commit.header.seq === res.seq, `bob got ${commit.header.kind} seq ${commit.header.seq}`);
      check(commit.body !== null && bytesEqual(commit.body, body[0]!), 'commit body differs from the commit bytes sent');
      check(commit.header.sender?.deviceId === ana.deviceId, 'commit event has the wrong sender');
      // A later message is the barrier: delivery is in seq order, so anything between would show up first.
      const sent = await ctx.send(anaConn, groupId, 2);
      const bobNext = await bobConn.takeEvent((e) => e.header.groupId === groupId, 'bob next event');
      check(bobNext.header.kind === 'app' && bobNext.header.seq === sent.seq, `bob received ${bobNext.header.kind} seq ${bobNext.header.seq} (a welcome for someone else?)`);
      const carolNext = await carolConn.takeEvent((e) => e.header.groupId === groupId, 'carol next event');
      check(carolNext.header.kind === 'app' && carolNext.header.seq === sent.seq, `carol received ${carolNext.header.kind} seq ${carolNext.header.seq} (the commit that added her?)`);
    },
  },
  {
    rule: '[GRP-2]',
    title: 'adding a member, a pending or unknown device, or removing a non-member answers INVALID_MEMBERSHIP',
    async run(ctx) {
      const [ana, bob, carol] = await Promise.all([ctx.newDevice(), ctx.newDevice(), ctx.newDevice()]);
      const pending = await ctx.login(carol.user);
      const conn = await ctx.connect(ana);
      const groupId = await ctx.createGroup(conn);
      await ctx.commit(conn, groupId, 0, [bob]);
      const ghost = { ...bob, deviceId: randomId() };
      for (const [what, add, remove] of [
        ['add an existing member', [bob], []],
        ['add a pending device', [pending], []],
        ['add an unknown device', [ghost], []],
        ['remove a non-member', [], [carol]],
      ] as const) {
        const { header, body } = commitFrame(groupId, 1, [...add], [...remove]);
        const answer = await conn.request(header, body);
        check(!answer.ok && answer.error.code === 'INVALID_MEMBERSHIP', `${what}: ${JSON.stringify(answer)}`);
      }
    },
  },
  {
    rule: '[GRP-5]',
    title: "a device gets NOT_A_MEMBER for another account's group and UNKNOWN_GROUP for a group that does not exist",
    async run(ctx) {
      const [ana, eve] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const anaConn = await ctx.connect(ana, 'ana');
      const eveConn = await ctx.connect(eve, 'eve');
      const groupId = await ctx.createGroup(anaConn);
      const c = commitFrame(groupId, 0, [eve], []);
      await eveConn.err({ t: 'groupInfo', groupId }, 'NOT_A_MEMBER');
      await eveConn.err({ t: 'send', groupId, epoch: 0, msgId: randomId() }, 'NOT_A_MEMBER', new Uint8Array(16).fill(1));
      await eveConn.err(c.header, 'NOT_A_MEMBER', c.body);
      const unknown = randomId();
      await eveConn.err({ t: 'groupInfo', groupId: unknown }, 'UNKNOWN_GROUP');
      await eveConn.err({ t: 'send', groupId: unknown, epoch: 0, msgId: randomId() }, 'UNKNOWN_GROUP', new Uint8Array(16).fill(1));
    },
  },
  {
    rule: '[GRP-5]',
    title: 'a removed device receives the removing commit and nothing after it, live or on reconnect',
    async run(ctx) {
      const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const anaConn = await ctx.connect(ana, 'ana');
      const bobConn = await ctx.connect(bob, 'bob');
      await bobConn.waitSynced();
      const groupId = await ctx.createGroup(anaConn);
      await ctx.commit(anaConn, groupId, 0, [bob]);
      const removal = await ctx.commit(anaConn, groupId, 1, [], [bob]);
      const after = await ctx.send(anaConn, groupId, 2);
      const commit = await bobConn.takeEvent((e) => e.header.groupId === groupId && e.header.kind === 'commit', 'the removing commit');
      check(commit.header.seq === removal.seq, `bob's commit has seq ${commit.header.seq}, expected ${removal.seq}`);
      await bobConn.close();
      const again = await ctx.connect(bob, 'bob again');
      await again.waitSynced();
      const seen = again.eventsOf(groupId).concat(bobConn.eventsOf(groupId)).filter((e) => e.seq > removal.seq);
      check(seen.length === 0, `the removed device received ${JSON.stringify(seen.map((e) => [e.kind, e.seq]))} after its removal (message seq ${after.seq})`);
      await again.err({ t: 'send', groupId, epoch: 2, msgId: randomId() }, 'NOT_A_MEMBER', new Uint8Array(8).fill(2));
    },
  },
  {
    rule: '[GRP-5]',
    title: 'an added device receives nothing from before its welcome',
    async run(ctx) {
      const [ana, bob] = await Promise.all([ctx.newDevice(), ctx.newDevice()]);
      const anaConn = await ctx.connect(ana, 'ana');
      const groupId = await ctx.createGroup(anaConn);
      await ctx.send(anaConn, groupId, 0);
      const added = await ctx.commit(anaConn, groupId, 0, [bob]);
      const bobConn = await ctx.connect(bob, 'bob');
      await bobConn.waitSynced();
      const events = bobConn.eventsOf(groupId);
      check(events.length === 1 && events[0]?.kind === 'welcome' && events[0].seq === added.seq + 1, `bob's backlog: ${JSON.stringify(events.map((e) => [e.kind, e.seq]))}`);
    },
  },
];

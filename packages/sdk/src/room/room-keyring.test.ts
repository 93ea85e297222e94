import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBase64Url } from '@charla/protocol';
import { epochZeroSecret, newRoomSecret, ratchetRootBy } from '@charla/crypto';
import type { WorkerCommand } from './frame-worker-api.ts';
import { GRACE_MS, RoomKeyring, SWITCH_DELAY_MS } from './room-keyring.ts';

/** Timers run by hand: `tick(ms)` fires what is due. */
function fakeTimers() {
  let now = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  return {
    timers: {
      set: (fn: () => void, ms: number) => {
        const id = next++;
        due.set(id, { at: now + ms, fn });
        return id;
      },
      clear: (id: unknown) => void due.delete(id as number),
    },
    tick(ms: number) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        due.delete(id);
        t.fn();
      }
    },
  };
}

function ring(secret: Uint8Array, participantId: string) {
  const posted: WorkerCommand[] = [];
  const clock = fakeTimers();
  const keyring = new RoomKeyring(secret, (cmd) => posted.push(cmd), clock.timers);
  keyring.sendAs(participantId);
  const sending = () => posted.filter((c) => c.t === 'send').at(-1);
  return { keyring, posted, clock, sending };
}

describe('room keyring', () => {
  it('starts at epoch 0 from the link and ratchets a generation per join', () => {
    const s = newRoomSecret();
    const a = ring(s, 'a'.repeat(22));
    assert.deepEqual(a.posted[0], { t: 'epoch', epoch: 0, generation: 0, root: epochZeroSecret(s) });
    assert.deepEqual(a.sending(), { t: 'send', participantId: 'a'.repeat(22), epoch: 0, generation: 0 });
    a.keyring.advance();
    a.keyring.advance();
    assert.deepEqual(a.sending(), { t: 'send', participantId: 'a'.repeat(22), epoch: 0, generation: 2 });
    // In epoch 0 a newcomer derives everything from the link: it is told only the generation.
    assert.deepEqual(a.keyring.keyMessage(), { k: 'key', epoch: 0, generation: 2 });
    const b = ring(s, 'b'.repeat(22));
    b.keyring.accept(a.keyring.keyMessage());
    assert.equal(b.sending()?.t === 'send' && b.sending()!.generation, 2);
  });

  it('[ROOM-9] rotates after a removal: others receive at once, send after a delay, forget the old epoch after a grace period', () => {
    const s = newRoomSecret();
    const host = ring(s, 'h'.repeat(22));
    const guest = ring(s, 'g'.repeat(22));
    const message = host.keyring.rotate();
    assert.equal(message.epoch, 1);
    assert.notDeepEqual(fromBase64Url(message.root!), epochZeroSecret(s), 'a fresh secret, not derived from the link');
    assert.equal(host.sending()!.t === 'send' && host.sending()!.epoch, 0, 'the host switches only after delivery');
    host.keyring.switchAfterDelivery();
    assert.equal(host.sending()!.t === 'send' && host.sending()!.epoch, 0, 'nor at once');
    host.clock.tick(SWITCH_DELAY_MS);
    assert.equal(host.sending()!.t === 'send' && host.sending()!.epoch, 1);

    guest.keyring.accept(message);
    assert.ok(guest.posted.some((c) => c.t === 'epoch' && c.epoch === 1), 'installed for receiving at once');
    assert.equal(guest.sending()!.t === 'send' && guest.sending()!.epoch, 0);
    guest.clock.tick(SWITCH_DELAY_MS);
    assert.equal(guest.sending()!.t === 'send' && guest.sending()!.epoch, 1);
    assert.ok(!guest.posted.some((c) => c.t === 'forget'));
    guest.clock.tick(GRACE_MS);
    assert.ok(guest.posted.some((c) => c.t === 'forget' && c.epoch === 0));
    assert.equal(guest.keyring.chatKeyOf(0), undefined);
    assert.deepEqual(guest.keyring.chatKey().key, host.keyring.chatKey().key);
    host.clock.tick(GRACE_MS);
    assert.ok(host.posted.some((c) => c.t === 'forget' && c.epoch === 0));
  });

  it('gives a newcomer after a rotation only the current generation of the epoch', () => {
    const s = newRoomSecret();
    const host = ring(s, 'h'.repeat(22));
    const rotation = host.keyring.rotate();
    host.keyring.switchAfterDelivery();
    host.clock.tick(SWITCH_DELAY_MS);
    host.keyring.advance();
    host.keyring.advance();
    const m = host.keyring.keyMessage();
    assert.equal(m.epoch, 1);
    assert.equal(m.generation, 2);
    assert.deepEqual(fromBase64Url(m.root!), ratchetRootBy(fromBase64Url(rotation.root!), 2));
    const late = ring(newRoomSecret(), 'l'.repeat(22));
    late.keyring.accept(m);
    const installed = late.posted.find((c) => c.t === 'epoch' && c.epoch === 1);
    assert.deepEqual(installed, { t: 'epoch', epoch: 1, generation: 2, root: fromBase64Url(m.root!) });
    late.clock.tick(SWITCH_DELAY_MS);
    assert.deepEqual(late.sending(), { t: 'send', participantId: 'l'.repeat(22), epoch: 1, generation: 2 });
    // A stale message (an older epoch) changes nothing.
    late.keyring.accept({ k: 'key', epoch: 0, generation: 9 });
    assert.deepEqual(late.sending(), { t: 'send', participantId: 'l'.repeat(22), epoch: 1, generation: 2 });
  });
});

describe('room keyring in a long call', () => {
  it('keeps up after hundreds of joins, one ratchet step at a time', () => {
    const s = newRoomSecret();
    const host = ring(s, 'h'.repeat(22));
    const rotation = host.keyring.rotate();
    host.keyring.switchAfterDelivery();
    host.clock.tick(SWITCH_DELAY_MS);
    for (let i = 0; i < 600; i++) host.keyring.advance();
    const m = host.keyring.keyMessage();
    assert.equal(m.generation, 600);
    let root = fromBase64Url(rotation.root!);
    for (let i = 0; i < 600; i++) root = ratchetRootBy(root, 1);
    assert.deepEqual(fromBase64Url(m.root!), root);
  });
});

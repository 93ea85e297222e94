import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createSfu, sectionMids, type SessionDescription } from '../src/sfu.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';
import { createSyntheticClient, type SyntheticClient } from '../src/testing/synthetic-client.ts';
import { waitFor } from './wait.ts';

const thisFile = fileURLToPath(import.meta.url);
const loopback = { iceAdditionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' as const } };

/**
 * What a browser checks of each new offer on a peer connection (Chromium refuses it with "The
 * order of m-lines in subsequent offer doesn't match order from previous offer/answer"): the
 * m-sections it already has keep their places and mids; new ones only come after them.
 */
function keepsMLineOrder(previous: string, next: string): boolean {
  const before = sectionMids(previous);
  const after = sectionMids(next);
  return after.length >= before.length && before.every((mid, i) => after[i] === mid);
}

/**
 * A client's signalling, as the server relays it, with the slow client's mishaps played on cue:
 * `script[n]` says what happens to the n-th offer (1-based); unlisted offers are answered.
 */
type Mishap =
  /** The client applies the offer but its answer comes too late: the signal fails (a timeout). */
  | 'late'
  /** The signal brings back the answer the client gave to an earlier offer (the late one). */
  | 'stale';

function scripted(client: SyntheticClient, script: Record<number, Mishap>, onOffer?: (n: number) => void) {
  const offers: string[] = [];
  const applied: string[] = [];
  const orderBroken: string[] = [];
  let late: SessionDescription | undefined;
  const signal = async (offer: SessionDescription): Promise<SessionDescription> => {
    offers.push(offer.sdp);
    const n = offers.length;
    onOffer?.(n);
    const mishap = script[n];
    if (mishap === 'stale') {
      assert.ok(late, 'a late answer to give back');
      return late;
    }
    const last = applied.at(-1);
    if (last !== undefined && !keepsMLineOrder(last, offer.sdp)) {
      orderBroken.push(`offer ${n}: ${sectionMids(last).join(',')} -> ${sectionMids(offer.sdp).join(',')}`);
      throw new Error('the order of m-lines in subsequent offer does not match');
    }
    const answer = await client.signal(offer);
    applied.push(offer.sdp);
    if (mishap === 'late') {
      late = answer;
      throw new Error('no answer in time');
    }
    return answer;
  };
  return { signal, offers, orderBroken };
}

const receives = (receiver: SyntheticClient, from: string): boolean => (receiver.received.get(`${from}:video`)?.packets ?? 0) > 20 && (receiver.received.get(`${from}:audio`)?.packets ?? 0) > 20;

inLoopbackNamespace('sfu renegotiation', thisFile, () => {
  describe('sfu renegotiation with a slow client', () => {
    it('[ROOM-6] an answer to an earlier offer is not applied to a later one; the offer is made again and the m-lines keep their order', { timeout: 60_000 }, async () => {
      const errors: string[] = [];
      const sfu = createSfu({ ...loopback, renegotiationBatchMs: 50, renegotiationRetryMs: 200, onNegotiationError: (id, error) => errors.push(`${id}: ${String(error)}`) });
      const clients = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, createSyntheticClient({ id, keyFrameIntervalMs: 1000 })])) as Record<'a' | 'b' | 'c' | 'd', SyntheticClient>;
      // a's second offer (b joined) is applied but answered too late; c joins meanwhile, and the
      // late answer then comes back as the answer to the third offer (the one that adds c), as when
      // a server pairs an answer with whichever offer waits.
      const a = scripted(clients.a, { 2: 'late', 3: 'stale' }, (n) => {
        if (n === 2) sfu.join('room', 'c', clients.c.signal.bind(clients.c));
      });
      try {
        await sfu.join('room', 'a', a.signal).negotiated();
        sfu.join('room', 'b', clients.b.signal.bind(clients.b));
        await waitFor(() => receives(clients.a, 'b') && receives(clients.a, 'c'), () => `a to receive b and c (offers to a: ${a.offers.length}; ${errors.join('; ')})`, 20_000);
        assert.ok(errors.some((e) => e.startsWith('a: ') && e.includes('does not answer this offer')), `the stale answer was refused (${errors.join('; ')})`);

        // Someone else joins: a's next offer adds d after everything a already has.
        sfu.join('room', 'd', clients.d.signal.bind(clients.d));
        await waitFor(() => receives(clients.a, 'd') && receives(clients.d, 'a'), () => `a and d to receive each other (${a.orderBroken.join('; ')})`, 20_000);
        assert.deepEqual(a.orderBroken, [], 'every offer a applied kept the m-lines it had');
        for (const x of ['b', 'c', 'd'] as const) assert.ok(receives(clients[x], 'a'), `${x} receives a`);
      } finally {
        await sfu.close();
        await Promise.all(Object.values(clients).map((c) => c.close()));
      }
    });

    it('[ROOM-6] a first offer answered too late is made again: the newcomer gets media without waiting for the next join', { timeout: 60_000 }, async () => {
      const sfu = createSfu({ ...loopback, renegotiationBatchMs: 50, renegotiationRetryMs: 200 });
      const a = createSyntheticClient({ id: 'a', keyFrameIntervalMs: 1000 });
      const b = createSyntheticClient({ id: 'b', keyFrameIntervalMs: 1000 });
      const slow = scripted(b, { 1: 'late' });
      try {
        await sfu.join('room', 'a', a.signal.bind(a)).negotiated();
        sfu.join('room', 'b', slow.signal);
        await waitFor(() => receives(a, 'b') && receives(b, 'a'), () => `a and b to receive each other (offers to b: ${slow.offers.length})`, 20_000);
        assert.equal(slow.offers.length, 2, 'one offer again, not more');
        assert.deepEqual(slow.orderBroken, []);
      } finally {
        await sfu.close();
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});

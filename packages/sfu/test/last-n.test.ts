import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createSfu } from '../src/sfu.ts';
import { inLoopbackNamespace } from '../src/testing/netns.ts';
import { createSyntheticClient, type SyntheticClient } from '../src/testing/synthetic-client.ts';
import { sleep, waitFor } from './wait.ts';

const thisFile = fileURLToPath(import.meta.url);
const LOUD = 20;
const SILENT = 127;

inLoopbackNamespace('sfu last-N', thisFile, () => {
  describe('sfu last-N, speakers and audio top-K', () => {
    it('limits forwarded videos, follows the speaker, keeps pinned, forwards only the loudest audio, keeps sequence numbers continuous', { timeout: 60_000 }, async () => {
      const speakerReports: string[][] = [];
      const errors: unknown[] = [];
      const sfu = createSfu({
        iceAdditionalHostAddresses: ['127.0.0.1'],
        interfaceAddresses: { udp4: '127.0.0.1' },
        lastN: 2,
        audioTopK: 2,
        speakerIntervalMs: 100,
        speakersMinIntervalMs: 200,
        keyFrameRequestIntervalMs: 300,
        onSpeakers: (roomId, ids) => {
          assert.equal(roomId, 'room');
          speakerReports.push(ids);
        },
        onNegotiationError: (_id, error) => errors.push(error),
      });
      const clients = new Map<string, SyntheticClient>();
      const ids = ['a', 'b', 'c', 'd', 'e'];
      // Periodic key frames only every 60 s: the key frames seen here are those the SFU asked for.
      for (const id of ids) clients.set(id, createSyntheticClient({ id, fps: 30, keyFrameIntervalMs: 60_000 }));
      const client = (id: string) => clients.get(id) as SyntheticClient;
      const videos = (id: string) => client(id).receivingFrom('video', 400);
      const audios = (id: string) => client(id).receivingFrom('audio', 300);
      const describeAll = () => ids.map((id) => `${id}: video ${videos(id).join('') || '-'} audio ${audios(id).join('') || '-'}`).join('; ');
      try {
        for (const id of ids) {
          sfu.join('room', id, client(id).signal.bind(client(id)));
        }
        // [ROOM-LASTN] Nobody speaks: each receiver gets exactly lastN = 2 videos, the earliest joiners.
        await waitFor(() => ids.every((id) => videos(id).length === 2), () => `2 videos each (${describeAll()})`);
        assert.deepEqual(videos('a'), ['b', 'c']);
        assert.deepEqual(videos('e'), ['a', 'b']);
        assert.deepEqual(sfu.load(), { rooms: 1, participants: 5, forwardedStreams: 5 * 2 + 5 * 2 });

        // e speaks: everyone else switches to e's video, starting on a key frame the SFU asked for.
        const pliBefore = client('e').sent.pliReceived;
        client('e').setAudioLevel(LOUD);
        await waitFor(() => ['a', 'b', 'c', 'd'].every((id) => videos(id).includes('e')), () => `e's video everywhere (${describeAll()})`);
        await waitFor(() => speakerReports.some((r) => r.join() === 'e'), () => `speakers [e] (${JSON.stringify(speakerReports)})`);
        await sleep(600);
        // The speaker first, then the earliest joiner.
        assert.deepEqual(['a', 'b', 'c', 'd'].map(videos), [['b', 'e'], ['a', 'e'], ['a', 'e'], ['a', 'e']]);
        for (const id of ['a', 'b', 'c', 'd']) {
          assert.ok(audios(id).includes('e'), `${id} does not hear e`);
        }
        assert.ok(client('e').sent.pliReceived > pliBefore, 'e was not asked for a key frame when its video was switched on');
        for (const id of ['c', 'd']) {
          const receipt = client(id).received.get('e:video');
          assert.equal(receipt?.firstKeyFrameBeforeOthers, true, `${id}'s first packet of e's video is not a key frame`);
        }

        // a pins b: b's video stays while the speaker moves from e to d.
        sfu.setView('a', { pinned: ['b'] });
        client('e').setAudioLevel(SILENT);
        client('d').setAudioLevel(LOUD);
        await waitFor(() => videos('a').join() === 'b,d', () => `a to get pinned b and speaker d (${describeAll()})`);
        await waitFor(() => videos('c').join() === 'd,e', () => `c to get the two most recent speakers d, e (${describeAll()})`);
        await sleep(800);
        assert.deepEqual(videos('a'), ['b', 'd']);

        // Audio top-K = 2: with three speakers, receivers hear only the two loudest.
        client('c').setAudioLevel(10);
        client('d').setAudioLevel(25);
        client('e').setAudioLevel(60);
        await waitFor(() => audios('a').join() === 'c,d' && audios('b').join() === 'c,d', () => `a and b to hear only c and d (${describeAll()})`);
        // Three speak at once: a's second tile goes to the earliest joiner of them, c, which a saw before.
        await waitFor(() => videos('a').join() === 'b,c', () => `a to get pinned b and c back (${describeAll()})`);
        await sleep(800);
        assert.deepEqual(audios('a'), ['c', 'd']);
        assert.deepEqual(audios('e'), ['c', 'd']);
        // c hears the two loudest others.
        assert.deepEqual(audios('c'), ['d', 'e']);
        await waitFor(() => speakerReports.some((r) => r.join() === 'c,d,e'), () => `speakers c,d,e loudest first (${JSON.stringify(speakerReports.slice(-3))})`);

        // Streams were paused and resumed several times; receivers never saw a sequence gap.
        for (const id of ids) {
          for (const [stream, receipt] of client(id).received) {
            assert.equal(receipt.seqGaps, 0, `${id} saw a sequence gap of ${receipt.seqGaps} on ${stream}`);
          }
        }
        const resumed = client('a').received.get('c:video');
        assert.ok(resumed && resumed.counterGaps > 0, 'c\'s video to a was never paused and resumed (the test did not exercise resumption)');
        assert.deepEqual(errors, []);
      } finally {
        await sfu.close();
        await Promise.all([...clients.values()].map((c) => c.close()));
      }
    });
  });
});

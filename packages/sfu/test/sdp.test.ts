import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sectionMids, trimBundledCandidates } from '../src/sfu.ts';

describe('SFU offers', () => {
  it('keep ICE candidates in the first (bundle-tag) m-section only', () => {
    const candidate = 'a=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host generation 0';
    const section = (kind: string, mid: number) => [`m=${kind} 9 UDP/TLS/RTP/SAVPF 96`, candidate, 'a=end-of-candidates', 'a=ice-ufrag:ab12', `a=mid:${mid}`];
    const sdp = ['v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2', ...section('audio', 0), ...section('video', 1), ...section('audio', 2), ''].join('\r\n');
    const trimmed = trimBundledCandidates(sdp);
    const sections = trimmed.split(/\r\n(?=m=)/);
    assert.equal(sections.length, 4);
    assert.ok(sections[1]?.includes(candidate) && sections[1].includes('a=end-of-candidates'));
    for (const s of sections.slice(2)) {
      assert.ok(!s.includes('a=candidate') && !s.includes('end-of-candidates'), s);
      assert.ok(s.includes('a=ice-ufrag:ab12'), 'other transport attributes stay');
    }
    assert.ok(trimmed.endsWith('\r\n'));
    assert.equal(trimmed.split('\r\n').length, sdp.split('\r\n').length - 4);
  });

  it('sectionMids lists the m-sections\' mids in order (session-level lines are not a section)', () => {
    const sdp = ['v=0', 's=-', 'a=group:BUNDLE 0 2', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'm=video 0 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=sendonly', 'a=mid:2', ''].join('\r\n');
    assert.deepEqual(sectionMids(sdp), ['0', '1', '2']);
    assert.deepEqual(sectionMids(sdp.replaceAll('\r\n', '\n')), ['0', '1', '2']);
    assert.deepEqual(sectionMids('v=0\r\ns=-\r\n'), []);
  });
});

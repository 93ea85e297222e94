import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveLinkKey, openFromLink, sealForLink } from './device-link.ts';
import { CryptoError } from './errors.ts';

test('[LINK-2][LINK-3] both sides of a link code derive one key; another code cannot open its messages', async () => {
  const a = await deriveLinkKey('0123456789ABCDEF', 'ABCDEFGH');
  const b = await deriveLinkKey('0123456789ABCDEF', 'ABCDEFGH');
  assert.deepEqual(a, b);
  assert.equal(a.length, 32);
  assert.notDeepEqual(await deriveLinkKey('0123456789ABCDEF', 'ABCDEFGJ'), a, 'the link id salts the key');
  const sealed = await sealForLink(a, new TextEncoder().encode('{"type":"hello"}'));
  assert.equal(new TextDecoder().decode(await openFromLink(b, sealed)), '{"type":"hello"}');
  await assert.rejects(openFromLink(await deriveLinkKey('0123456789ABCDEG', 'ABCDEFGH'), sealed), CryptoError);
});

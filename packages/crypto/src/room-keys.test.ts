import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBase64Url, toBase64Url } from '@charla/protocol';
import {
  epochZeroSecret,
  newRoomJoinKeys,
  newRoomSecret,
  openPairwise,
  openRoomChat,
  openRoomName,
  parseRoomLink,
  roomAccessKey,
  roomChatEpoch,
  roomLink,
  roomPubMac,
  sealPairwise,
  sealRoomChat,
  sealRoomName,
  verifyRoomPubMac,
} from './room-keys.ts';
import { ratchetRoot, ratchetRootBy, roomChatKey, senderKeyMaterial } from './room-ratchet.ts';

const ROOM = 'AAAAAAAAAAAAAAAAAAAAAA';
const TOKEN = toBase64Url(new Uint8Array(32).fill(7));

describe('room keys', () => {
  it('derives distinct, deterministic keys from the link secret', () => {
    const s = newRoomSecret();
    assert.equal(s.length, 32);
    assert.deepEqual(roomAccessKey(s), roomAccessKey(new Uint8Array(s)));
    assert.notDeepEqual(roomAccessKey(s), epochZeroSecret(s));
    assert.notDeepEqual(roomAccessKey(s), roomAccessKey(newRoomSecret()));
    assert.throws(() => roomAccessKey(new Uint8Array(16)));
  });

  it('round-trips room links, with and without a host token, behind a path prefix', () => {
    const s = newRoomSecret();
    const link = roomLink('https://chat.example.org/', ROOM, s);
    assert.equal(link, `https://chat.example.org/r/${ROOM}#${toBase64Url(s)}`);
    assert.deepEqual(parseRoomLink(link), { serverUrl: 'https://chat.example.org', roomId: ROOM, secret: s });
    const host = parseRoomLink(roomLink('http://127.0.0.1:8080/charla', ROOM, s, TOKEN));
    assert.deepEqual(host, { serverUrl: 'http://127.0.0.1:8080/charla', roomId: ROOM, secret: s, hostToken: TOKEN });
    for (const bad of ['not a url', `https://x/r/${ROOM}`, `https://x/r/short#${toBase64Url(s)}`, `https://x/r/${ROOM}#abc`, `https://x/r/${ROOM}#${toBase64Url(s)}.bad`]) {
      assert.throws(() => parseRoomLink(bad), /not a room link/);
    }
  });

  it('seals names so that only holders of the link read them, within the wire size', async () => {
    const s = newRoomSecret();
    const sealed = await sealRoomName(s, '  Ana  ');
    assert.equal(await openRoomName(s, sealed), 'Ana');
    assert.equal(await openRoomName(newRoomSecret(), sealed), undefined);
    const long = await sealRoomName(s, '😀'.repeat(100));
    assert.ok(toBase64Url(long).length <= 200);
    assert.equal(await openRoomName(s, long), '😀'.repeat(30));
  });

  it('[ROOM-9] pubMac vouches for a join key only with the right secret', () => {
    const s = newRoomSecret();
    const { publicKey } = newRoomJoinKeys();
    const mac = roomPubMac(s, publicKey);
    assert.ok(verifyRoomPubMac(s, publicKey, mac));
    assert.ok(!verifyRoomPubMac(newRoomSecret(), publicKey, mac));
    assert.ok(!verifyRoomPubMac(s, newRoomJoinKeys().publicKey, mac));
  });

  it('[ROOM-9] pairwise sealing opens only for the intended recipient, from the claimed sender', async () => {
    const a = newRoomJoinKeys();
    const b = newRoomJoinKeys();
    const c = newRoomJoinKeys();
    const msg = new TextEncoder().encode('epoch secret');
    const sealed = await sealPairwise(ROOM, a, b.publicKey, msg);
    assert.deepEqual(await openPairwise(ROOM, b, a.publicKey, sealed), msg);
    assert.equal(await openPairwise(ROOM, c, a.publicKey, sealed), undefined, 'a third party');
    assert.equal(await openPairwise(ROOM, b, c.publicKey, sealed), undefined, 'a wrong claimed sender');
    assert.equal(await openPairwise(ROOM, a, b.publicKey, sealed), undefined, 'reflected to its sender');
    assert.equal(await openPairwise('BBBBBBBBBBBBBBBBBBBBBB', b, a.publicKey, sealed), undefined, 'another room');
    assert.equal(await openPairwise(ROOM, b, new Uint8Array(32), sealed), undefined, 'a low-order key');
    const tampered = new Uint8Array(sealed);
    tampered[20]! ^= 1;
    assert.equal(await openPairwise(ROOM, b, a.publicKey, tampered), undefined);
  });

  it('[ROOM-13] ratchets one way and gives each sender its own key', () => {
    const root = epochZeroSecret(newRoomSecret());
    const g1 = ratchetRoot(root);
    assert.notDeepEqual(g1, root);
    assert.deepEqual(ratchetRootBy(root, 3), ratchetRoot(ratchetRoot(g1)));
    assert.deepEqual(ratchetRootBy(root, 0), root);
    assert.throws(() => ratchetRootBy(root, 10_000));
    const pa = 'p'.repeat(22);
    const pb = 'q'.repeat(22);
    assert.notDeepEqual(senderKeyMaterial(root, pa).key, senderKeyMaterial(root, pb).key);
    assert.notDeepEqual(senderKeyMaterial(root, pa).key, senderKeyMaterial(g1, pa).key);
    assert.equal(senderKeyMaterial(root, pa).key.length, 16);
    assert.equal(senderKeyMaterial(root, pa).salt.length, 12);
  });

  it('seals chat per epoch and refuses a relabelled epoch', async () => {
    const e0 = roomChatKey(epochZeroSecret(newRoomSecret()));
    const sealed = await sealRoomChat(e0, 3, new TextEncoder().encode('hola'));
    assert.equal(roomChatEpoch(sealed), 3);
    assert.equal(new TextDecoder().decode((await openRoomChat(e0, sealed))!), 'hola');
    assert.equal(await openRoomChat(roomChatKey(newRoomSecret()), sealed), undefined);
    const relabelled = new Uint8Array(sealed);
    relabelled[1] = 4;
    assert.equal(await openRoomChat(e0, relabelled), undefined);
  });

  it('matches a fixed vector (the key schedule is part of the protocol)', () => {
    const s = new Uint8Array(32).map((_, i) => i);
    const access = toBase64Url(roomAccessKey(s));
    const epoch0 = toBase64Url(epochZeroSecret(s));
    assert.equal(fromBase64Url(access).length, 32);
    assert.equal(access, VECTOR.access);
    assert.equal(epoch0, VECTOR.epoch0);
  });
});

// Checked against Node's crypto.hkdfSync (an independent HKDF implementation).
const VECTOR = { access: 'NiBd4WWfKo_sFX-c63O6Kjm78GPrqc_NyLKsqd4ixss', epoch0: 'iHICjO0HPvE796VuHhgaUqc2jxlLnyQlVzIfdf2qd-0' };

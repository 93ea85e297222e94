/**
 * RFC 9420 interoperability vectors (mlswg/mls-implementations), run through packages/crypto's
 * vector harness (src/vectors/) over the same ts-mls code paths Charla ships. The vectors live
 * outside the repo at ../shared/mls-test-vectors (from the repo root) and are not copied in.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CiphersuiteImpl } from 'ts-mls';
import {
  checkWelcome,
  cryptoBasics,
  keyScheduleEpoch,
  messageProtection,
  passiveClient,
  secretTreeOf,
  senderDataKeys,
  treeMath,
  vectorSuite,
} from '../src/vectors/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const VECTORS = resolve(repoRoot, '..', 'shared', 'mls-test-vectors');
const present = existsSync(resolve(VECTORS, 'tree-math.json'));
const absentReason = `MLS test vectors not found at ${VECTORS}`;
/**
 * Passive-client cases run per file and supported suite other than 1 (suite 1 always runs in
 * full). All of them fit the time budget today (~15 s on 2 cores); lower this if they stop to.
 */
const OTHER_SUITE_CAP = Number.POSITIVE_INFINITY;

const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vector JSON is checked field by field below
type Json = any;
const load = (name: string): Json[] => JSON.parse(readFileSync(resolve(VECTORS, `${name}.json`), 'utf8'));

if (!present) {
  if (process.env.CI) {
    test('RFC 9420 vectors are present (required in CI)', () => assert.fail(absentReason));
  } else {
    console.log(`# skipping RFC 9420 vector tests: ${absentReason}`);
    test('RFC 9420 vectors', { skip: absentReason }, () => {});
  }
}

/** Runs `run` for each case whose suite is supported; reports skipped suites and checks suite 1 ran in full. */
async function perSuite(t: TestContext, cases: Json[], run: (cs: CiphersuiteImpl, c: Json, i: number) => Promise<void>, pick = (_c: Json, _nth: number) => true) {
  const ran = new Map<number, number>();
  const skipped = new Map<number, number>();
  for (const [i, c] of cases.entries()) {
    const cs = await vectorSuite(c.cipher_suite);
    const nth = ran.get(c.cipher_suite) ?? 0;
    if (cs === undefined || (c.cipher_suite !== 1 && !pick(c, nth))) {
      skipped.set(c.cipher_suite, (skipped.get(c.cipher_suite) ?? 0) + 1);
      continue;
    }
    await run(cs, c, i);
    ran.set(c.cipher_suite, nth + 1);
  }
  const suite1 = cases.filter((c) => c.cipher_suite === 1).length;
  assert.ok(suite1 > 0, 'the file has suite 1 cases');
  assert.equal(ran.get(1), suite1, 'every suite 1 case ran');
  t.diagnostic(`ran ${JSON.stringify(Object.fromEntries(ran))}, skipped ${JSON.stringify(Object.fromEntries(skipped))} (suite: cases)`);
}

test('tree-math: node counts, root, left/right/parent/sibling for every tree size', { skip: !present }, () => {
  const cases = load('tree-math');
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const got = treeMath(c.n_leaves);
    assert.equal(got.nNodes, c.n_nodes);
    assert.equal(got.root, c.root);
    assert.deepEqual(got.left, c.left);
    assert.deepEqual(got.right, c.right);
    assert.deepEqual(got.parent, c.parent);
    assert.deepEqual(got.sibling, c.sibling);
  }
});

test('crypto-basics: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel, EncryptWithLabel', { skip: !present }, async (t) => {
  await perSuite(t, load('crypto-basics'), async (cs, c) => {
    const { ref_hash: r, expand_with_label: e, derive_secret: d, derive_tree_secret: dt, sign_with_label: s, encrypt_with_label: x } = c;
    assert.equal(hex(await cryptoBasics.refHash(cs, r.label, h(r.value))), r.out);
    assert.equal(hex(await cryptoBasics.expandWithLabel(cs, h(e.secret), e.label, h(e.context), e.length)), e.out);
    assert.equal(hex(await cryptoBasics.deriveSecret(cs, h(d.secret), d.label)), d.out);
    assert.equal(hex(await cryptoBasics.deriveTreeSecret(cs, h(dt.secret), dt.label, dt.generation, dt.length)), dt.out);
    assert.equal(await cryptoBasics.verifyWithLabel(cs, h(s.pub), s.label, h(s.content), h(s.signature)), true);
    const ours = await cryptoBasics.signWithLabel(cs, h(s.priv), s.label, h(s.content));
    assert.equal(await cryptoBasics.verifyWithLabel(cs, h(s.pub), s.label, h(s.content), ours), true);
    assert.equal(await cryptoBasics.verifyWithLabel(cs, h(s.pub), `${s.label}!`, h(s.content), ours), false);
    assert.equal(hex(await cryptoBasics.decryptWithLabel(cs, h(x.priv), x.label, h(x.context), h(x.kem_output), h(x.ciphertext))), x.plaintext);
    const sealed = await cryptoBasics.encryptWithLabel(cs, h(x.pub), x.label, h(x.context), h(x.plaintext));
    assert.equal(hex(await cryptoBasics.decryptWithLabel(cs, h(x.priv), x.label, h(x.context), sealed.kemOutput, sealed.ciphertext)), x.plaintext);
  });
});

test('key-schedule: group context and every epoch secret, external key and exporter', { skip: !present }, async (t) => {
  await perSuite(t, load('key-schedule'), async (cs, c) => {
    let initSecret = h(c.initial_init_secret);
    for (const [epoch, e] of c.epochs.entries()) {
      const out = await keyScheduleEpoch(cs, {
        cipherSuite: c.cipher_suite,
        groupId: h(c.group_id),
        epoch: BigInt(epoch),
        treeHash: h(e.tree_hash),
        confirmedTranscriptHash: h(e.confirmed_transcript_hash),
        initSecret,
        commitSecret: h(e.commit_secret),
        pskSecret: h(e.psk_secret),
        exporter: { label: e.exporter.label, context: h(e.exporter.context), length: e.exporter.length },
      });
      const ks = out.keySchedule;
      assert.equal(hex(out.groupContext), e.group_context);
      assert.equal(hex(out.joinerSecret), e.joiner_secret);
      assert.equal(hex(out.welcomeSecret), e.welcome_secret);
      assert.equal(hex(ks.initSecret), e.init_secret);
      assert.equal(hex(ks.senderDataSecret), e.sender_data_secret);
      assert.equal(hex(out.encryptionSecret), e.encryption_secret);
      assert.equal(hex(ks.exporterSecret), e.exporter_secret);
      assert.equal(hex(ks.epochAuthenticator), e.epoch_authenticator);
      assert.equal(hex(ks.externalSecret), e.external_secret);
      assert.equal(hex(ks.confirmationKey), e.confirmation_key);
      assert.equal(hex(ks.membershipKey), e.membership_key);
      assert.equal(hex(ks.resumptionPsk), e.resumption_psk);
      assert.equal(hex(out.externalPub), e.external_pub);
      assert.equal(hex(out.exported), e.exporter.secret);
      initSecret = ks.initSecret;
    }
  });
});

test('secret-tree: sender data key/nonce and handshake/application ratchets per leaf and generation', { skip: !present }, async (t) => {
  await perSuite(t, load('secret-tree'), async (cs, c) => {
    const sd = await senderDataKeys(cs, h(c.sender_data.sender_data_secret), h(c.sender_data.ciphertext));
    assert.equal(hex(sd.key), c.sender_data.key);
    assert.equal(hex(sd.nonce), c.sender_data.nonce);
    const tree = await secretTreeOf(cs, c.leaves.length, h(c.encryption_secret));
    for (const [leaf, generations] of c.leaves.entries()) {
      for (const g of generations) {
        const keys = await tree.keysAt(leaf, g.generation);
        assert.equal(hex(keys.handshakeKey), g.handshake_key);
        assert.equal(hex(keys.handshakeNonce), g.handshake_nonce);
        assert.equal(hex(keys.applicationKey), g.application_key);
        assert.equal(hex(keys.applicationNonce), g.application_nonce);
      }
    }
  });
});

test('message-protection: unprotect and re-protect proposals, commits and application data', { skip: !present }, async (t) => {
  await perSuite(t, load('message-protection'), async (cs, c) => {
    const mp = messageProtection(cs, {
      cipherSuite: c.cipher_suite,
      groupId: h(c.group_id),
      epoch: BigInt(c.epoch),
      treeHash: h(c.tree_hash),
      confirmedTranscriptHash: h(c.confirmed_transcript_hash),
      signaturePriv: h(c.signature_priv),
      signaturePub: h(c.signature_pub),
      encryptionSecret: h(c.encryption_secret),
      senderDataSecret: h(c.sender_data_secret),
      membershipKey: h(c.membership_key),
    });
    for (const wire of ['public', 'private'] as const) {
      const suffix = wire === 'public' ? 'pub' : 'priv';
      assert.equal(hex(await mp.unprotect(h(c[`proposal_${suffix}`]))), c.proposal);
      assert.equal(hex(await mp.unprotect(h(c[`commit_${suffix}`]))), c.commit);
      assert.equal(hex(await mp.unprotect(await mp.protectProposal(h(c.proposal), wire))), c.proposal);
      assert.equal(hex(await mp.unprotect(await mp.protectCommit(h(c.commit), wire))), c.commit);
    }
    assert.equal(hex(await mp.unprotect(h(c.application_priv))), c.application);
    assert.equal(hex(await mp.unprotect(await mp.protectApplication(h(c.application), 'private'))), c.application);
    await assert.rejects(mp.protectApplication(h(c.application), 'public'));
  });
});

test('welcome: decrypt group secrets and GroupInfo, verify signature and confirmation tag', { skip: !present }, async (t) => {
  await perSuite(t, load('welcome'), async (cs, c) => {
    const input = { keyPackage: h(c.key_package), welcome: h(c.welcome), initPriv: h(c.init_priv), signerPub: h(c.signer_pub) };
    assert.deepEqual(await checkWelcome(cs, input), { decrypted: true, signatureValid: true, confirmationTagValid: true });
    const wrongSigner = h(c.signer_pub);
    wrongSigner[wrongSigner.length - 1]! ^= 1;
    assert.equal((await checkWelcome(cs, { ...input, signerPub: wrongSigner }).catch(() => ({ signatureValid: false }))).signatureValid, false);
  });
});

async function runPassive(cs: CiphersuiteImpl, c: Json): Promise<void> {
  const authenticators = passiveClient(cs, {
    keyPackage: h(c.key_package),
    signaturePriv: h(c.signature_priv),
    encryptionPriv: h(c.encryption_priv),
    initPriv: h(c.init_priv),
    welcome: h(c.welcome),
    ratchetTree: c.ratchet_tree === null ? null : h(c.ratchet_tree),
    externalPsks: c.external_psks.map((p: Json) => ({ pskId: h(p.psk_id), psk: h(p.psk) })),
    epochs: c.epochs.map((e: Json) => ({ proposals: e.proposals.map(h), commit: h(e.commit) })),
  });
  const expected = [c.initial_epoch_authenticator, ...c.epochs.map((e: Json) => e.epoch_authenticator)];
  let n = 0;
  for await (const got of authenticators) {
    assert.equal(hex(got), expected[n], `epoch authenticator ${n}`);
    n++;
  }
  assert.equal(n, expected.length);
}

for (const name of ['passive-client-welcome', 'passive-client-handling-commit', 'passive-client-random']) {
  const scope = Number.isFinite(OTHER_SUITE_CAP) ? `every suite 1 case, first ${OTHER_SUITE_CAP} of each other supported suite` : 'every case of every supported suite';
  test(`${name}: ${scope}`, { skip: !present }, async (t) => {
    await perSuite(t, load(name), runPassive, (_c, nth) => nth < OTHER_SUITE_CAP);
  });
}

test('vector harness sanity: a wrong expected value is detected', { skip: !present }, async () => {
  const cs = (await vectorSuite(1))!;
  const c = load('crypto-basics').find((x) => x.cipher_suite === 1);
  assert.notEqual(hex(await cryptoBasics.deriveSecret(cs, h(c.derive_secret.secret), `${c.derive_secret.label}x`)), c.derive_secret.out);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateAccountKey } from './account.ts';
import { safetyNumber } from './safety-number.ts';

const ana = { userId: '@ana:example.org', accountPublicKey: generateAccountKey().publicKey };
const bob = { userId: '@bob:example.org', accountPublicKey: generateAccountKey().publicKey };

test('a safety number is 60 digits in 12 groups of 5 and the same from both sides', async () => {
  const ab = await safetyNumber(ana, bob);
  assert.match(ab, /^\d{5}( \d{5}){11}$/);
  assert.equal(await safetyNumber(bob, ana), ab);
  assert.equal(await safetyNumber(ana, bob), ab, 'deterministic');
});

test('the safety number changes when either account key changes', async () => {
  const ab = await safetyNumber(ana, bob);
  const anaNewKey = { ...ana, accountPublicKey: generateAccountKey().publicKey };
  const bobNewKey = { ...bob, accountPublicKey: generateAccountKey().publicKey };
  assert.notEqual(await safetyNumber(anaNewKey, bob), ab);
  assert.notEqual(await safetyNumber(ana, bobNewKey), ab);
});

test('each half belongs to one account: the half of an unchanged side stays', async () => {
  const ab = (await safetyNumber(ana, bob)).replaceAll(' ', '');
  const anaNewKey = { ...ana, accountPublicKey: generateAccountKey().publicKey };
  const a2b = (await safetyNumber(anaNewKey, bob)).replaceAll(' ', '');
  const halves = (s: string) => [s.slice(0, 30), s.slice(30)];
  const shared = halves(ab).filter((h) => halves(a2b).includes(h));
  assert.equal(shared.length, 1, "bob's 30 digits are in both numbers");
});

import { createGroup, encryptMessage, generateAccountKey, generateDeviceSigningKeys, signDeviceCredential } from '@charla/crypto';
import { randomId } from '@charla/protocol';

/**
 * The size of a real MLS PrivateMessage carrying a short text, made with @charla/crypto the way
 * the SDK's outbox does (content JSON, Padmé padding). The generators send bodies of this size
 * (the server never looks inside, so the bytes themselves need not decrypt).
 */
export async function measureCiphertextSize(): Promise<number> {
  const account = generateAccountKey();
  const signingKeys = await generateDeviceSigningKeys();
  const userId = '@ana:bench.local';
  const deviceId = randomId();
  const device = {
    userId,
    deviceId,
    accountPublicKey: account.publicKey,
    credentialSignature: signDeviceCredential(account.privateKey, userId, deviceId, signingKeys.publicKey),
    signingKeys,
  };
  const state = await createGroup(new TextEncoder().encode(randomId()), device);
  const content = { v: 1, kind: 'text', id: randomId(), ts: Date.now(), text: '¿Quedamos mañana a las 7 en la plaza?' };
  const { message } = await encryptMessage(state, new TextEncoder().encode(JSON.stringify(content)));
  return message.length;
}

import { decodeMlsMessage, type CiphersuiteImpl } from 'ts-mls';
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';

/**
 * RFC 9420 §12.4.3.1: decrypt a Welcome with the joiner's init key, then check the GroupInfo's
 * signature and confirmation tag. Returns which checks held (throws only on undecodable input).
 */
export async function checkWelcome(
  cs: CiphersuiteImpl,
  input: { keyPackage: Uint8Array; welcome: Uint8Array; initPriv: Uint8Array; signerPub: Uint8Array },
): Promise<{ decrypted: boolean; signatureValid: boolean; confirmationTagValid: boolean }> {
  const kp = decodeMlsMessage(input.keyPackage, 0)?.[0];
  const welcome = decodeMlsMessage(input.welcome, 0)?.[0];
  if (kp?.wireformat !== 'mls_key_package' || welcome?.wireformat !== 'mls_welcome') throw new TypeError('undecodable vector input');
  const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
  const secrets = await decryptGroupSecrets(await cs.hpke.importPrivateKey(input.initPriv), ref, welcome.welcome, cs.hpke);
  if (secrets === undefined) return { decrypted: false, signatureValid: false, confirmationTagValid: false };
  const pskSecret = new Uint8Array(cs.kdf.size); // the vector uses no PSKs
  const groupInfo = await decryptGroupInfo(welcome.welcome, secrets.joinerSecret, pskSecret, cs);
  if (groupInfo === undefined) return { decrypted: false, signatureValid: false, confirmationTagValid: false };
  return {
    decrypted: true,
    signatureValid: await verifyGroupInfoSignature(groupInfo, input.signerPub, cs.signature),
    confirmationTagValid: await verifyGroupInfoConfirmationTag(groupInfo, secrets.joinerSecret, pskSecret, cs),
  };
}

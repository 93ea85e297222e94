import { PROTOCOL_VERSION } from '@charla/protocol';
import { route } from './types.ts';

/** The MLS ciphersuite every client must use: X25519, AES-128-GCM, SHA-256, Ed25519 (RFC 9420 §17.1, 0x0001). */
const CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

export const info = route({
  name: 'info',
  async handle({ services: { ctx } }) {
    const { config } = ctx;
    return { protocolVersion: PROTOCOL_VERSION, serverName: config.serverName, publicUrl: config.publicUrl, registration: config.registration, ciphersuite: CIPHERSUITE, limits: { ...config.limits } };
  },
});

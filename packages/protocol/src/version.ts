/** The wire protocol version. A server answers a client of another major version with UNSUPPORTED_VERSION. */
export const PROTOCOL_VERSION = 1;
/** Path prefix of every HTTP method and of the WebSocket endpoint. */
export const API_PREFIX = '/v1';

import type { ClientFrame } from '@charla/protocol';
import type { AuthContext } from '../../services/context.ts';
import type { Services } from '../../services/services.ts';

export type FrameOf<T extends ClientFrame['t']> = Extract<ClientFrame, { t: T }>;

/** One authenticated frame: the handler makes one service call and returns the `ok` payload. */
export interface WsCall<T extends ClientFrame['t']> {
  readonly services: Services;
  readonly auth: AuthContext;
  readonly frame: FrameOf<T>;
  readonly body: Uint8Array | null;
}

export type WsHandler<T extends ClientFrame['t']> = (call: WsCall<T>) => Promise<Record<string, unknown>>;

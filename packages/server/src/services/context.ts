import type { Logger } from 'pino';
import type { ServerConfig } from '../config/load.ts';
import type { Store } from '../store/store.ts';
import type { Bus } from '../bus/bus.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { Metrics } from '../metrics.ts';

/** What every service gets: the resolved config and the three swappable backends. */
export interface ServiceContext {
  readonly config: ServerConfig & { readonly serverName: string; readonly publicUrl: string };
  readonly store: Store;
  readonly bus: Bus;
  readonly blobs: BlobStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/** The authenticated caller of an HTTP method or WebSocket frame. */
export interface AuthContext {
  readonly username: string;
  readonly userId: string;
  readonly deviceId: string;
  /** Whether the device published its signature key ([DEV-1]); inactive devices may not act in groups. */
  readonly active: boolean;
  readonly tokenHash: Uint8Array;
  /** When the session ends (Unix ms); an open WebSocket is closed with TOKEN_EXPIRED after it. */
  readonly expiresAt: number;
}

export { startServer, type RunningServer, type StartOptions } from './server.ts';
export { loadConfig, ConfigError, type ServerConfig, type LogLevel } from './config/load.ts';
export { CONFIG_FIELDS, configMarkdownTable, type ConfigField } from './config/fields.ts';
export { CharlaError, toWireError, type WireErrorBody } from './errors.ts';
export type { Store } from './store/store.ts';
export type { Bus, GroupEvent, ControlEvent, BusListener } from './bus/bus.ts';
export type { BlobStore } from './blobs/blob-store.ts';

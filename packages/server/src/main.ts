import { ConfigError, loadConfig } from './config/load.ts';
import { startServer } from './server.ts';

/** `npm start`: the only place that touches process.env, argv, signals and the exit code. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const server = await startServer(config);
  console.error(`Charla is listening on ${server.url} (public URL ${server.publicUrl}, server name ${server.serverName})`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: draining`);
    server.close().then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        console.error('shutdown failed', error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('charla server failed to start:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

import { runSfuCommand } from './main.ts';

// Standalone entry (`node packages/sfu/src/bin.ts`), used by tests and the benchmark; the
// `charla sfu` subcommand calls runSfuCommand the same way.
process.exitCode = await runSfuCommand(process.argv.slice(2));
// Closed peer connections can leave a socket or timer behind in werift: do not hang on them
// (and let --cpu-prof write its profile).
setTimeout(() => process.exit(), 1000).unref();

import { runSfuCommand } from './main.ts';

// Standalone entry (`node packages/sfu/src/bin.ts`), used by tests and the benchmark; the
// `charla sfu` subcommand calls runSfuCommand the same way.
process.exitCode = await runSfuCommand(process.argv.slice(2));

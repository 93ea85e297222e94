#!/usr/bin/env node
// The `charla` command. Node 24 runs the TypeScript sources directly.
const argv = process.argv.slice(2);
if (argv[0] === 'sfu') {
  // `charla sfu`: the media SFU for rooms as its own long-running process (packages/sfu). Loaded
  // only here, so the chat commands never load the media stack.
  const { runSfuCommand } = await import('@charla/sfu/main');
  process.exitCode = await runSfuCommand(argv.slice(1));
  // Closed peer connections can leave a socket or timer behind in werift: do not hang on them.
  globalThis.setTimeout(() => process.exit(), 1000).unref();
} else {
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(argv, { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

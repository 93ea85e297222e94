#!/usr/bin/env node
// The `charla` command. Node 24 runs the TypeScript sources directly.
import { main } from '../src/main.ts';

process.exitCode = await main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

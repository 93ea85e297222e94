#!/usr/bin/env node
// `charla-conformance --server URL`: the conformance suite as a command. Node 24 runs the TypeScript sources directly.
import '../src/main.ts';

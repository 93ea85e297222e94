import { test } from 'node:test';
import { busContract } from './bus-contract.ts';
import { MemoryBus } from './memory-bus.ts';

// One process is one node: every "node" shares the same in-process bus.
busContract(test, async (n) => {
  const bus = new MemoryBus();
  return { buses: Array.from({ length: n }, () => bus), dispose: () => bus.close() };
});

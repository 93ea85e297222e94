import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { natsForTests } from '../testing/backends.ts';
import { busContract } from './bus-contract.ts';
import { NatsBus } from './nats-bus.ts';

const available = await natsForTests();

if (!available.ok) {
  test('[bus] NATS bus contract', { skip: available.reason }, () => undefined);
} else {
  const url = available.value;
  // Every case gets a subject prefix (and control stream) of its own, deleted afterwards.
  busContract(test, async (n) => {
    const prefix = `charlatest_${randomBytes(5).toString('hex')}`;
    const buses = await Promise.all(Array.from({ length: n }, (_, i) => NatsBus.connect({ url, prefix, name: `bus-contract-${i}` })));
    return {
      buses,
      async dispose() {
        for (const b of buses) await b.close();
        const nc = await connect({ servers: new URL(url).host });
        try {
          await (await nc.jetstreamManager()).streams.delete(NatsBus.streamName(prefix));
        } finally {
          await nc.close();
        }
      },
    };
  });
}

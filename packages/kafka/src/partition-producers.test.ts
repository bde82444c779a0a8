import type { Admin, Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { ClientCore } from './client.ts';
import { createPartitionProducers } from './partition-producers.ts';

/** A client core whose transactional producers only connect, open an empty transaction and disconnect. */
function fakeCore() {
  const disconnected: string[] = [];
  let made = 0;
  const core = {
    admin: () => Promise.resolve({ fetchOffsets: () => Promise.resolve([]) } as unknown as Admin),
    claimTransactionalId: () => () => undefined,
    createTransactionalProducer: () => {
      const name = `producer-${++made}`;
      return {
        connect: () => Promise.resolve(),
        disconnect: () => {
          disconnected.push(name);
          return Promise.resolve();
        },
        transaction: () => Promise.resolve({ abort: () => Promise.resolve() }),
      } as unknown as Producer;
    },
  } as unknown as ClientCore;
  return { core, disconnected };
}

const OPTIONS = { groupId: 'g', physicalTopic: 't', transactionalIdPrefix: 'tx', transactionTimeoutMs: 60_000 };

describe('partition producers', () => {
  it("a reset by a batch of an earlier assignment leaves its successor's producer open", async () => {
    const { core, disconnected } = fakeCore();
    const producers = createPartitionProducers(core, OPTIONS);
    const earlier = await producers.forPartition(0);
    producers.reassigned([0]);
    const current = await producers.forPartition(0);
    expect(disconnected).toEqual(['producer-1']); // the earlier one, dropped when its successor was fenced in

    await producers.reset(0, earlier);
    expect(disconnected).toEqual(['producer-1']);
    expect(await producers.forPartition(0)).toBe(current);

    await producers.reset(0, current);
    expect(disconnected).toEqual(['producer-1', 'producer-2']);
    expect(await producers.forPartition(0)).not.toBe(current);
  });
});

import type { Producer } from 'kafkajs';
import type { ClientCore } from './client.ts';
import { lazyConnection, type LazyConnection } from './connection.ts';
import { runTransaction } from './transactional.ts';
import type { TransactionScope } from './types.ts';

/**
 * The transactional producers behind `KafkaClient.transaction(id, …)`: `size` of them, `<prefix>.<n>`, each made on
 * first use. kafkajs allows one open transaction per producer, so up to `size` run at once and the rest wait their
 * turn in arrival order. The most recently used idle producer is taken first, so light traffic keeps to one.
 */
export function createTransactionPool(
  core: ClientCore,
  options: { physicalIdPrefix: string; size: number; transactionTimeoutMs: number },
) {
  if (!Number.isSafeInteger(options.size) || options.size < 1) {
    throw new RangeError('a transaction pool needs at least one producer');
  }
  const all: { connection: LazyConnection<Producer>; release: () => void }[] = [];
  for (let n = 0; n < options.size; n++) {
    const id = `${options.physicalIdPrefix}.${n}`;
    const release = core.claimTransactionalId(id);
    all.push({
      connection: lazyConnection(() => core.createTransactionalProducer(id, options.transactionTimeoutMs)),
      release,
    });
  }
  const idle = all.map((entry) => entry.connection);
  const waiting: ((connection: LazyConnection<Producer>) => void)[] = [];
  const running = new Set<Promise<unknown>>();

  async function take(): Promise<LazyConnection<Producer>> {
    return idle.pop() ?? new Promise((resolve) => waiting.push(resolve));
  }

  function give(connection: LazyConnection<Producer>): void {
    const next = waiting.shift();
    if (next === undefined) idle.push(connection);
    else next(connection);
  }

  return {
    async run<R>(work: (tx: TransactionScope) => Promise<R>): Promise<R> {
      const connection = await take();
      const result = runTransaction(core, connection, work);
      running.add(result);
      try {
        return await result;
      } finally {
        running.delete(result);
        give(connection);
      }
    },
    /** Waits for the running transactions, then disconnects every producer. */
    async close(): Promise<void> {
      await Promise.allSettled([...running]);
      const results = await Promise.allSettled(all.map(({ connection }) => connection.close()));
      for (const { release } of all) release();
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };
}

export type TransactionPool = ReturnType<typeof createTransactionPool>;

import type { Producer } from 'kafkajs';
import type { ClientCore } from './client.ts';
import { lazyConnection, type LazyConnection } from './connection.ts';

/**
 * The transactional producers behind `KafkaClient.transaction(id, …)`: `size` of them, `<prefix>.<n>`, each made on
 * first use. kafkajs allows one open transaction per producer, so up to `size` transactions (each a group commit's,
 * group-commit.ts) run at once and the rest wait their turn in arrival order. The most recently used idle producer
 * is taken first, so light traffic keeps to one.
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
  /** Every use from its call to its end, waiting for a producer included, so close() waits for all of them. */
  const running = new Set<Promise<unknown>>();
  let closed = false;

  async function take(): Promise<LazyConnection<Producer>> {
    return idle.pop() ?? new Promise((resolve) => waiting.push(resolve));
  }

  function give(connection: LazyConnection<Producer>): void {
    const next = waiting.shift();
    if (next === undefined) idle.push(connection);
    else next(connection);
  }

  return {
    /** Runs `use` with a producer of its own (one open transaction at a time), once one is free. */
    async withProducer<R>(use: (connection: LazyConnection<Producer>) => Promise<R>): Promise<R> {
      if (closed) throw new Error('the transaction pool is closed');
      const job = (async () => {
        const connection = await take();
        try {
          return await use(connection);
        } finally {
          give(connection);
        }
      })();
      running.add(job);
      try {
        return await job;
      } finally {
        running.delete(job);
      }
    },
    /** Refuses new uses, waits for those already called (queued ones too), then disconnects every producer. */
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...running]);
      const results = await Promise.allSettled(all.map(({ connection }) => connection.close()));
      for (const { release } of all) release();
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };
}

export type TransactionPool = ReturnType<typeof createTransactionPool>;

import type { Producer } from 'kafkajs';
import type { ClientCore } from './client.ts';
import { lazyConnection, type LazyConnection } from './connection.ts';

/** A partition's transactional producer, fenced in for the current assignment. */
export interface PartitionProducer {
  readonly connection: LazyConnection<Producer>;
  /**
   * The group's committed offset for the partition once this producer had fenced the partition's previous owner:
   * inputs below it were processed and committed by that owner (or by us before a rebalance) and must be skipped.
   */
  readonly committedFrom: bigint;
  /** The group assignment it was fenced in for (`reassigned` starts a new one). */
  readonly assignment: number;
}

/**
 * The partition was reassigned while an input of the old assignment was in flight: its commit must not fence in a
 * producer, which would fence the partition's new owner. Retriable for kafkajs, which then carries on with the new
 * assignment; the input, not committed here, is processed by whoever owns the partition now.
 */
function partitionReassigned(partition: number): Error {
  return Object.assign(new Error(`partition ${partition} was reassigned while an input was in flight`), {
    retriable: true,
  });
}

/**
 * One transactional producer per input partition (`<prefix>.p<n>`), the pattern Kafka's exactly-once processing
 * used before KIP-447, which kafkajs does not implement. Every instance of a processor derives the same id for a
 * partition, so whichever instance is assigned the partition fences its previous owner when it initialises the
 * producer; a zombie still holding the old producer can no longer commit. Any number of instances may therefore run,
 * and partitions are processed concurrently, each in order.
 *
 * The consumer fetched its start offset before the fence, when the previous owner's last transaction may still have
 * been completing; the offset committed after the fence (`committedFrom`) is the settled one.
 */
export function createPartitionProducers(
  core: ClientCore,
  options: { groupId: string; physicalTopic: string; transactionalIdPrefix: string; transactionTimeoutMs: number },
) {
  const live = new Map<number, { producer: PartitionProducer; release: () => void }>();
  let assignment = 0;
  let closed = false;

  async function committedOffset(partition: number): Promise<bigint> {
    const admin = await core.admin();
    const [entry] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.physicalTopic] });
    const offset = entry?.partitions.find((candidate) => candidate.partition === partition)?.offset ?? '-1';
    return offset === '-1' ? 0n : BigInt(offset);
  }

  async function drop(partition: number): Promise<void> {
    const entry = live.get(partition);
    if (entry === undefined) return;
    live.delete(partition);
    try {
      await entry.producer.connection.close();
    } finally {
      entry.release();
    }
  }

  return {
    /**
     * The partition's producer for the current assignment: made, fenced in and its offset read on first use. With
     * `heldAssignment` (the assignment an in-flight input started under), refuses once the partition was reassigned.
     */
    async forPartition(partition: number, heldAssignment?: number): Promise<PartitionProducer> {
      if (closed) throw new Error('the partition producers are closed');
      if (heldAssignment !== undefined && heldAssignment !== assignment) throw partitionReassigned(partition);
      const current = live.get(partition);
      if (current !== undefined && current.producer.assignment === assignment) return current.producer;
      // From an earlier assignment: another instance may have owned the partition since, and fenced this producer.
      await drop(partition);
      const id = `${options.transactionalIdPrefix}.p${partition}`;
      const release = core.claimTransactionalId(id);
      const connection = lazyConnection(() => core.createTransactionalProducer(id, options.transactionTimeoutMs));
      try {
        // InitProducerId: fences the previous owner and completes its open transaction. kafkajs sends it at connect
        // and again at a producer's first transaction(), which would fence a newer owner if that first transaction
        // came late (an owner stuck in its first batch, evicted, then woken): so the first one is opened here, empty.
        await (await (await connection.get()).transaction()).abort();
        const producer = { connection, committedFrom: await committedOffset(partition), assignment };
        live.set(partition, { producer, release });
        return producer;
      } catch (error) {
        await connection.close().catch(() => undefined);
        release();
        throw error;
      }
    },
    /**
     * The group rebalanced: every partition is fenced in again before its next input, and the producers of
     * partitions no longer assigned here are closed.
     */
    reassigned(assigned: readonly number[]): void {
      assignment++;
      const kept = new Set(assigned);
      for (const partition of live.keys()) if (!kept.has(partition)) void drop(partition).catch(() => undefined);
    },
    /**
     * Forgets `producer` (fenced, or in a state it cannot abort from); the next use makes a new one. Only while it is
     * still the partition's: a batch of an earlier assignment (a crashed run's, still finishing) whose producer was
     * fenced by its successor must not close that successor under the batch now using it.
     */
    async reset(partition: number, producer: PartitionProducer): Promise<void> {
      if (live.get(partition)?.producer === producer) await drop(partition);
    },
    async closeAll(): Promise<void> {
      closed = true;
      const results = await Promise.allSettled([...live.keys()].map(drop));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };
}

export type PartitionProducers = ReturnType<typeof createPartitionProducers>;

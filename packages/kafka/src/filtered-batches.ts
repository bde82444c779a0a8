import type { Batch, Consumer } from 'kafkajs';
import type { Logger } from '@hub/logger';
import { describeError } from './dead-letter.ts';
import { nextOffset } from './inbound.ts';

/**
 * The offset to commit once `handled`, a record of `batch`, and every record before it are handled: past the batch's
 * end when it is the batch's last record, as what follows it in the fetch is only markers and aborted records (the
 * rule kafkajs's own resolveOffset applies: the next fetch starts there). Otherwise a group that has handled
 * everything would stand behind the commit marker of the last transaction, and an aborted tail fetched with it.
 */
export function commitOffsetAfter(batch: Pick<Batch, 'messages' | 'lastOffset'>, handled: string): string {
  return nextOffset(batch.messages.at(-1)?.offset === handled ? batch.lastOffset() : handled);
}

type FilteredConsumer = Pick<Consumer, 'on' | 'events' | 'commitOffsets'>;

/**
 * Commits past each fetched batch that holds nothing to handle: only transaction markers and aborted records
 * (read_committed). kafkajs does not hand such a batch to eachBatch; it resolves its offsets and commits them only with
 * autoCommit, so without this a group that has handled everything stays behind a partition's tail of markers and
 * aborted records (its lag never 0, a rebuild never caught up). Its END_BATCH_PROCESS, with batchSize 0, is emitted
 * for such a batch only (runner.js: a batch with messages goes to eachBatch, an empty one emits nothing).
 *
 * Safe: the batch was fetched from the partition's resolved offset (consumerGroup.fetch: offsetManager.nextOffset),
 * which moves only when we resolve a handled record (eachBatchAutoResolve is off) or past such a batch, and a fetcher
 * fetches again only once its batches are done (a failed eachBatch crashes the consumer, which resumes from the
 * committed offsets): every earlier offset of the partition has been handled, and every offset of the batch, from its
 * first (`firstOffset`, null when none is at or after the fetched offset: then nothing is committed) to its last, is a
 * marker or aborted. A failed commit is logged and left: the partition's next commit covers it.
 */
export function commitFilteredBatches(consumer: FilteredConsumer, log: Logger): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const { topic, partition, batchSize, lastOffset } = payload;
    const firstOffset = payload.firstOffset as string | null; // null at runtime, whatever kafkajs's types say
    if (batchSize !== 0 || firstOffset === null) return;
    const offset = nextOffset(lastOffset);
    consumer.commitOffsets([{ topic, partition, offset }]).then(
      () => {
        log.debug({ partition, offset }, 'offsets committed past markers and aborted records');
      },
      (error: unknown) => {
        const { name, code } = describeError(error);
        log.warn(
          { partition, offset, errorName: name, errorCode: code },
          'commit past markers and aborted records failed; the next commit covers it',
        );
      },
    );
  });
}

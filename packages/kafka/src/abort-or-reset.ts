import type { Logger } from '@hub/logger';
import { describeError } from './dead-letter.ts';

/**
 * Ends a transaction that did not commit, so that its producer can begin the next one. An open transaction is
 * aborted. The producer is dropped, so that its next use re-initialises it (a fresh producer's InitProducerId makes
 * the coordinator complete or abort whatever is pending under its transactional id, with a new epoch):
 *   - when one of the transaction's sends failed (`sendFailed`), even once aborted: that produce may have been
 *     written (its broker died before answering), and kafkajs rewinds the partition's sequence number all the same.
 *     The next transaction's request of the same size to that partition would then carry the numbers of the aborted
 *     records, and the broker, taking it for their duplicate, answers it with their offset and writes nothing: a
 *     committed transaction missing its records (one receipt lost in a broker kill, lost-answers.int.test.ts). A new
 *     epoch numbers its records afresh;
 *   - when the abort itself fails;
 *   - when a commit or abort failed half-way (e.g. the coordinator's broker died during EndTxn): kafkajs then leaves
 *     its state machine in COMMITTING or ABORTING, which `isActive()` does not report and from which no transaction
 *     can begin, so the producer refused every later transaction, for good (intake answered 503 for minutes after a
 *     broker of three was killed, test/e2e/cluster-kill.int.test.ts);
 *   - when the transaction never began (`transaction` undefined: its producer could not connect or begin).
 */
export async function abortOrReset(
  transaction: { isActive(): boolean; abort(): Promise<void> } | undefined,
  producer: { close(): Promise<void> },
  logger: Logger,
  sendFailed = false,
): Promise<void> {
  if (transaction?.isActive() === true) {
    try {
      await transaction.abort();
      if (!sendFailed) return;
    } catch (error) {
      const { name, code } = describeError(error);
      logger.warn(
        { errorName: name, errorCode: code },
        'transaction abort failed; resetting the transactional producer',
      );
    }
  } else if (transaction !== undefined && !sendFailed) {
    logger.warn('transaction ended half-way; resetting the transactional producer');
  }
  await producer.close().catch(() => undefined);
}

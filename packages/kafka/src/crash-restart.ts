import type { Consumer } from 'kafkajs';
import type { Logger } from '@hub/logger';
import { describeError } from './dead-letter.ts';
import { DEFAULTS } from './limits.ts';
import { backoffDelay, sleep } from './retry.ts';

type CrashableConsumer = Pick<Consumer, 'on' | 'events' | 'connect'>;

/**
 * Keeps a consumer running through crashes. kafkajs restarts a crashed consumer only when the error is retriable;
 * after any other crash (seen when a broker of three died mid-transaction) the consumer stays stopped for good, and
 * its stage or view with it, while the process goes on answering. Here it is restarted as kafkajs's documentation says
 * to (connect and run again: the subscription is kept), with backoff, until `signal` aborts (the subscription stops).
 * Every crash is logged, with whether kafkajs itself restarts it.
 */
export function restartAfterCrash(
  consumer: CrashableConsumer,
  run: () => Promise<void>,
  log: Logger,
  signal: AbortSignal,
): void {
  let failed = 0;
  let restarting = false;
  // A function, not the property: the subscription may stop during any await below.
  const stopped = () => signal.aborted;

  async function restart(): Promise<void> {
    restarting = true;
    try {
      while (!stopped()) {
        failed++;
        if (!(await sleep(backoffDelay(failed, DEFAULTS.crashRestart), signal))) return;
        try {
          await consumer.connect();
          if (stopped()) return;
          await run();
          log.warn({ attempt: failed }, 'consumer restarted after a crash kafkajs does not restart from');
          return;
        } catch (error) {
          const { name, code } = describeError(error);
          log.error({ errorName: name, errorCode: code, attempt: failed }, 'consumer restart failed; trying again');
        }
      }
    } finally {
      restarting = false;
    }
  }

  consumer.on(consumer.events.GROUP_JOIN, () => {
    failed = 0;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { name, code } = describeError(payload.error);
    log.error({ errorName: name, errorCode: code, restart: payload.restart }, 'consumer crashed');
    if (payload.restart || signal.aborted || restarting) return;
    void restart();
  });
}

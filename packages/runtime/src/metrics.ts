import type { HubViewName, TopicSpec } from '@hub/contracts';
import type { ObservedResponse } from '@hub/http';
import type { KafkaClient, StartStepOptions, StepBinding } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import {
  createMetrics,
  methodLabel,
  serveMetrics,
  UNMATCHED_ROUTE,
  VIEW_STATES,
  type HubMetrics,
  type MetricsServer,
} from '@hub/metrics';
import type { ServiceReadings } from './service.ts';
import type { ViewGenerations } from './view-generations.ts';

/** How often each consumer group's lag is read from Kafka (an admin request per group). */
export const LAG_POLL_INTERVAL_MS = 10_000;
/** Stopping waits this long at most for a poll in flight (Kafka down makes each group's request slow to fail). */
const STOP_POLL_WAIT_MS = 1_000;
/** A service's readings (a Redis or PostgreSQL read) must answer within this at a scrape, else the last values stay. */
export const READINGS_TIMEOUT_MS = 1_000;

export interface ProcessMetrics {
  /** For `createHttpServer({ observeResponse })`. */
  observeResponse(response: ObservedResponse): void;
  /** For `startStep`: a stage's transactions counted and timed. */
  stepOptions(binding: StepBinding): StartStepOptions;
  /** Serves `/metrics` on its own listener and starts polling lag. */
  start(): Promise<MetricsServer>;
  stop(): Promise<void>;
}

export interface ProcessMetricsOptions {
  readonly host: string;
  readonly port: number;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  /** The process's steps: the lag of each one's consumer group is polled. */
  readonly steps: readonly StepBinding[];
  readonly views: ViewGenerations;
  readonly keptViews: readonly HubViewName[];
  /** The services' readings (`HubService.readings`), read at each scrape. */
  readonly readings?: readonly (() => Promise<ServiceReadings>)[];
  /** The clock checkpoint ages are measured on (the runtime's). */
  readonly now?: () => Date;
}

/** One service's readings onto the gauges. */
function setReadings(metrics: HubMetrics, readings: ServiceReadings, now: Date): void {
  const { notifications, auditLog } = readings;
  if (notifications !== undefined) {
    metrics.notifications.set({ notification_state: 'overdue' }, notifications.overdue);
    metrics.notifications.set({ notification_state: 'escalated' }, notifications.escalated);
    metrics.notifications.set({ notification_state: 'not-delivered' }, notifications.notDelivered);
  }
  if (auditLog !== undefined) {
    metrics.auditLogLeaves.set({}, auditLog.leaves);
    metrics.auditLogCheckpointMismatches.set({}, auditLog.checkpointMismatches);
    const { checkpoint } = auditLog;
    if (checkpoint === undefined) {
      metrics.auditLogCheckpointLeaves.remove({});
      metrics.auditLogCheckpointAge.remove({});
    } else {
      metrics.auditLogCheckpointLeaves.set({}, checkpoint.leaves);
      metrics.auditLogCheckpointAge.set({}, Math.max(0, (now.getTime() - checkpoint.signedAt.getTime()) / 1000));
    }
  }
}

/** `read()` or a rejection after `ms`, the timer cleared either way. */
async function within<T>(ms: number, read: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The process's metrics (`@hub/metrics`): every answered request, each stage's transactions, the lag of every
 * consumer group this process runs (polled), and each kept view's state and build progress (read at each scrape).
 */
export function createProcessMetrics(options: ProcessMetricsOptions): ProcessMetrics {
  const { kafka, views } = options;
  const logger = options.logger.child({ component: 'metrics' });
  const metrics = createMetrics();
  const groups = new Map<string, TopicSpec>(options.steps.map(({ step }) => [step.groupId, step.input]));

  metrics.beforeScrape(() => {
    for (const view of options.keptViews) {
      const current = views.state(view);
      for (const state of VIEW_STATES) metrics.viewState.set({ view, state }, state === current ? 1 : 0);
      const progress = views.buildProgress(view);
      if (progress === undefined) {
        metrics.viewBuildEventsRead.remove({ view });
        metrics.viewBuildEventsRemaining.remove({ view });
      } else {
        metrics.viewBuildEventsRead.set({ view }, progress.read);
        metrics.viewBuildEventsRemaining.set({ view }, progress.remaining);
      }
    }
  });

  const now = options.now ?? (() => new Date());
  // Deployment-wide counts read from the services' stores; a failed or slow read keeps the last values (and counts).
  metrics.beforeScrape(async () => {
    await Promise.all(
      (options.readings ?? []).map(async (read) => {
        try {
          setReadings(metrics, await within(READINGS_TIMEOUT_MS, read), now());
        } catch (error) {
          metrics.scrapeReadingFailures.inc({});
          logger.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'metrics reading failed');
        }
      }),
    );
  });

  let stopped = false;
  const stopping = () => stopped; // a call: read after each await, not narrowed
  /** One group at a time: a poll is a dozen small admin requests, not a burst. A failure keeps the last values. */
  async function pollLag(): Promise<void> {
    for (const [group, topic] of groups) {
      if (stopping()) return;
      try {
        const lag = await kafka.lag(group, topic);
        for (const { partition, lag: behind, committed } of lag.partitions) {
          metrics.consumerLag.set({ group, topic: topic.name, partition }, behind);
          if (committed !== null) {
            metrics.consumerCommittedOffset.set({ group, topic: topic.name, partition }, Number(committed));
          }
        }
      } catch (error) {
        if (stopping()) return; // Kafka closed under the poll
        logger.warn({ group, errorName: error instanceof Error ? error.name : typeof error }, 'lag poll failed');
      }
    }
    // Each input topic's dead letters, once per topic however many groups read it.
    for (const topic of new Map([...groups.values()].map((spec) => [spec.name, spec])).values()) {
      if (stopping()) return;
      try {
        metrics.deadLetterRecords.set({ topic: topic.name }, await kafka.deadLetterDepth(topic));
      } catch (error) {
        if (stopping()) return;
        logger.warn(
          { topic: topic.name, errorName: error instanceof Error ? error.name : typeof error },
          'dead-letter poll failed',
        );
      }
    }
  }

  let server: MetricsServer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  const poll = () => {
    polling ??= pollLag().finally(() => {
      polling = undefined;
    });
  };

  return {
    observeResponse(response) {
      metrics.httpRequestDuration.observe(
        {
          route: response.route ?? UNMATCHED_ROUTE,
          method: methodLabel(response.method),
          status: response.statusCode,
        },
        response.durationMs / 1000,
      );
    },
    stepOptions({ step }) {
      if (step.kind !== 'stage') return {};
      const labels = { group: step.groupId };
      return {
        onBatch: (report) => {
          metrics.stageTransactionDuration.observe(labels, report.durationMs / 1000);
          if (report.failed) {
            metrics.stageFailedTransactions.inc(labels);
            return;
          }
          metrics.stageBatchSize.observe(labels, report.inputs);
          metrics.stageInputs.inc(labels, report.inputs);
          metrics.stageOutputs.inc(labels, report.outputs);
          metrics.stageDeadLetters.inc(labels, report.deadLettered);
        },
      };
    },
    async start() {
      server = await serveMetrics(metrics, {
        host: options.host,
        port: options.port,
        onError: (error) => {
          logger.error({ errorName: error instanceof Error ? error.name : typeof error }, 'metrics scrape failed');
        },
      });
      poll();
      timer = setInterval(poll, LAG_POLL_INTERVAL_MS);
      timer.unref();
      logger.info({ port: server.port }, 'metrics served');
      return server;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        polling,
        new Promise((resolve) => {
          waited = setTimeout(resolve, STOP_POLL_WAIT_MS);
        }),
      ]);
      clearTimeout(waited);
      await server?.close();
    },
  };
}

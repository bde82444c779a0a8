/**
 * Kafka through @hub/kafka against a real broker: publish throughput, consume throughput and end-to-end latency, and
 * the same for processTransactionally. Everything lives in a fresh topic namespace. See README.md for what each row
 * means and why latencies are measured under a paced load rather than while draining a backlog.
 *
 *   node test/bench/kafka-throughput.ts [--messages=5000] [--tx-messages=500] [--batch=100]
 *     [--latency-rate=200] [--tx-latency-rate=5] [--latency-seconds=20] [--latency-messages=1000] [--timeout-s=300]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineTopic, type TopicSpec } from '@hub/contracts';
import { createKafkaClient, output, type KafkaClient, type Subscription } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import {
  epochMs,
  intOption,
  now,
  paced,
  perSecond,
  progress,
  runStandalone,
  summarize,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

/** A small routing event: ids, codes and a timestamp, no personal data. `sentAtMs` is what latency is measured from. */
const BenchEvent = z
  .object({
    eventId: z.uuid(),
    seq: z.number().int().nonnegative(),
    kind: z.enum(['gp-notification.routed', 'marac-notification.routed']),
    /** ODS code of the receiving organisation (a GP practice), not a person. */
    recipientOds: z.string().regex(/^[A-Z]\d{5}$/),
    sentAtMs: z.number().nonnegative(),
  })
  .strict();
type BenchEvent = z.infer<typeof BenchEvent>;

function benchTopic(name: string, description: string): TopicSpec<typeof BenchEvent> {
  // Short retention: the data is throw-away. The namespaced topics themselves stay (@hub/kafka never deletes topics).
  return defineTopic({
    name,
    description,
    schema: BenchEvent,
    partitions: 3,
    retentionMs: 60 * 60 * 1000,
    cleanupPolicy: 'delete',
  });
}

const events = benchTopic('bench.events.v1', 'Benchmark: published and consumed.');
const txInput = benchTopic('bench.tx-input.v1', 'Benchmark: input of the transactional processor.');
const txOutput = benchTopic('bench.tx-output.v1', 'Benchmark: one output per transactional input.');

interface KafkaBenchOptions {
  readonly brokers: string[];
  readonly messages: number;
  readonly batch: number;
  /** Inputs of the transactional drain: fewer than `messages` by default, as each one is its own transaction. */
  readonly txMessages: number;
  /** The paced phases offer at most `latencyMessages`, and no more than fit in `latencySeconds` at their rate. */
  readonly latencyMessages: number;
  readonly latencySeconds: number;
  /**
   * Offered rates of the paced phases, msg/s. Fixed, not derived from this run's drain rate, so that latencies from
   * different commits are measured at the same load and compare.
   */
  readonly latencyRate: number;
  readonly txLatencyRate: number;
  readonly timeoutMs: number;
}

export function kafkaOptions(argv: readonly string[]): KafkaBenchOptions {
  return {
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()),
    messages: intOption(argv, 'messages', 'BENCH_MESSAGES', 5_000),
    batch: intOption(argv, 'batch', 'BENCH_BATCH', 100),
    txMessages: intOption(argv, 'tx-messages', 'BENCH_TX_MESSAGES', 500),
    latencyMessages: intOption(argv, 'latency-messages', 'BENCH_LATENCY_MESSAGES', 1_000),
    latencySeconds: intOption(argv, 'latency-seconds', 'BENCH_LATENCY_SECONDS', 20),
    latencyRate: intOption(argv, 'latency-rate', 'BENCH_LATENCY_RATE', 200),
    txLatencyRate: intOption(argv, 'tx-latency-rate', 'BENCH_TX_LATENCY_RATE', 5),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_KAFKA_TIMEOUT_S', 300) * 1000,
  };
}

/**
 * Which sequence numbers have been seen, and when. Delivery is at-least-once, so a repeat is counted, not re-timed.
 * `done` resolves once every number in [first, first + count) has arrived.
 */
class Arrivals {
  readonly latencies: number[] = [];
  firstAt = 0;
  lastAt = 0;
  duplicates = 0;
  readonly done: Promise<void>;
  private readonly seen: Uint8Array;
  private unique = 0;
  private resolve!: () => void;

  readonly first: number;
  readonly count: number;

  constructor(first: number, count: number) {
    this.first = first;
    this.count = count;
    this.seen = new Uint8Array(count);
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  /** False when `seq` is not in this range. */
  record(seq: number, sentAtMs: number): boolean {
    const index = seq - this.first;
    if (index < 0 || index >= this.count) return false;
    if (this.seen[index] === 1) {
      this.duplicates++;
      return true;
    }
    const at = now();
    if (this.unique === 0) this.firstAt = at;
    this.lastAt = at;
    this.seen[index] = 1;
    this.latencies.push(epochMs() - sentAtMs);
    if (++this.unique === this.count) this.resolve();
    return true;
  }

  /** Throughput from the first arrival to the last, so the group join before the first message is not counted. */
  get perSecond(): number {
    return perSecond(this.count - 1, this.lastAt - this.firstAt);
  }
}

/** Routes each arrival to the phase whose sequence range contains it; anything else is a bug worth failing on. */
class Phases {
  private readonly phases: Arrivals[] = [];
  unexpected = 0;

  start(first: number, count: number): Arrivals {
    const phase = new Arrivals(first, count);
    this.phases.push(phase);
    return phase;
  }

  record(value: BenchEvent): void {
    if (!this.phases.some((phase) => phase.record(value.seq, value.sentAtMs))) this.unexpected++;
  }
}

function makeEvent(seq: number): BenchEvent {
  return {
    eventId: randomUUID(),
    seq,
    kind: seq % 4 === 0 ? 'marac-notification.routed' : 'gp-notification.routed',
    recipientOds: `Y${String(10_000 + (seq % 90_000)).padStart(5, '0')}`,
    sentAtMs: epochMs(),
  };
}

/** Publishes [first, first + n) as one batch, timestamped just before the call. */
async function publishRange(kafka: KafkaClient, topic: typeof events, first: number, n: number): Promise<void> {
  const batch = Array.from({ length: n }, (_, i) => {
    const value = makeEvent(first + i);
    return { key: value.eventId, value };
  });
  await kafka.publish(topic, batch);
}

function duplicatesNote(phase: Arrivals): string {
  return phase.duplicates === 0 ? '' : `, ${phase.duplicates} redelivered`;
}

export async function kafkaThroughput(options: KafkaBenchOptions): Promise<BenchRow[]> {
  const deadline = now() + options.timeoutMs;
  const remaining = (): number => deadline - now();
  const { messages: n, txMessages: txN, batch } = options;
  const namespace = `bench${randomBytes(4).toString('hex')}.`;
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: 'bench-kafka',
    logger,
    topicNamespace: namespace,
  });
  const subscriptions: Subscription[] = [];
  const rows: BenchRow[] = [];

  /** Publishes [from, to) of `topic` in sequential batches; answers each publish call's duration. */
  async function publishAll(topic: typeof events, from: number, to: number): Promise<number[]> {
    const durations: number[] = [];
    for (let first = from; first < to; first += batch) {
      const started = now();
      await publishRange(kafka, topic, first, Math.min(batch, to - first));
      durations.push(now() - started);
      if (remaining() <= 0) throw new Error(`kafka: publishing to ${topic.name} ran out of time`);
    }
    return durations;
  }

  /**
   * Latency at a fixed offered load: after its backlog is drained, `topic` gets new messages at `rate` (open loop), as
   * many as fit in the latency window, and each is timed from just before its publish until `phases` sees it.
   */
  async function pacedPhase(
    phases: Phases,
    topic: typeof events,
    first: number,
    rate: number,
    label: string,
    what: string,
  ): Promise<void> {
    const count = Math.min(options.latencyMessages, Math.max(1, Math.floor(rate * options.latencySeconds)));
    const phase = phases.start(first, count);
    const started = now();
    await paced(count, rate, batch, (offset, size) => publishRange(kafka, topic, first + offset, size));
    await withDeadline(phase.done, remaining(), `kafka ${label}, paced`);
    const achieved = perSecond(count, phase.lastAt - started);
    // Below the offered rate the queue grew during the phase, so the latencies measure the queue, not the path.
    const kept = achieved >= rate * 0.9 ? '' : `; NOT sustained, the queue grew`;
    rows.push({
      bench: 'kafka',
      case: `${label}, paced at ${rate} msg/s`,
      count,
      perSecond: achieved,
      latency: summarize(phase.latencies),
      note: `${what}${kept}${duplicatesNote(phase)}`,
    });
    if (phases.unexpected > 0) throw new Error(`kafka: ${phases.unexpected} ${label} messages outside any phase`);
  }

  try {
    await kafka.waitUntilReady(Math.min(30_000, remaining()));
    await kafka.provisionTopics([events, txInput, txOutput]);
    progress(`kafka: namespace ${namespace} on ${options.brokers.join(',')}, ${n} + ${txN} messages`);

    // Warm-up, not timed: the first transactional inputs connect the producer and fetch metadata.
    const txWarm = Math.min(batch, txN);
    await publishAll(txInput, 0, txWarm);

    // 1. Publish n messages in sequential batches (one publish call in flight, as a service would).
    const publishStarted = now();
    const batchDurations = await publishAll(events, 0, n);
    rows.push({
      bench: 'kafka',
      case: `publish, batches of ${batch}`,
      count: n,
      perSecond: perSecond(n, now() - publishStarted),
      latency: summarize(batchDurations),
      note: 'latency of one publish call (one batch)',
    });

    // 2. consume: drain the backlog of n; 3. then paced, on the same caught-up consumer.
    const plain = new Phases();
    const drain = plain.start(0, n);
    const joinStarted = now();
    const consumer = await kafka.consume(events, {
      groupId: 'bench-consume',
      handle: (message) => {
        plain.record(message.value);
        return Promise.resolve();
      },
    });
    subscriptions.push(consumer);
    await withDeadline(drain.done, remaining(), 'kafka consume, backlog drain');
    rows.push({
      bench: 'kafka',
      case: 'consume, backlog drain',
      count: n,
      perSecond: drain.perSecond,
      note: `first message ${Math.round(drain.firstAt - joinStarted)} ms after consume()${duplicatesNote(drain)}`,
    });
    await pacedPhase(plain, events, n, options.latencyRate, 'consume', 'publish → handler');
    await consumer.stop(); // not polling in the background of what follows

    // 4. processTransactionally, one output per input, outputs read with consume: drain txN inputs, then paced.
    await publishAll(txInput, txWarm, txN);
    const outputs = new Phases();
    const txDrain = outputs.start(0, txN);
    subscriptions.push(
      await kafka.consume(txOutput, {
        groupId: 'bench-tx-reader',
        handle: (message) => {
          outputs.record(message.value);
          return Promise.resolve();
        },
      }),
    );
    const txStarted = now();
    subscriptions.push(
      await kafka.processTransactionally(txInput, {
        groupId: 'bench-tx',
        transactionalId: 'bench-tx-0',
        // The output keeps the input's seq and sentAtMs, so the reader can time input publish → output seen.
        handle: (message) =>
          Promise.resolve([
            output(txOutput, { key: message.value.eventId, value: { ...message.value, eventId: randomUUID() } }),
          ]),
      }),
    );
    await withDeadline(txDrain.done, remaining(), 'kafka processTransactionally, backlog drain');
    rows.push({
      bench: 'kafka',
      case: 'processTransactionally, backlog drain',
      count: txN,
      perSecond: txDrain.perSecond,
      note: `outputs seen; first ${Math.round(txDrain.firstAt - txStarted)} ms after start${duplicatesNote(txDrain)}`,
    });
    await pacedPhase(
      outputs,
      txInput,
      txN,
      options.txLatencyRate,
      'processTransactionally',
      'input publish → output seen',
    );
    return rows;
  } finally {
    await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
    await kafka.close();
  }
}

export async function runKafkaBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = kafkaOptions(argv);
  // The hard stop allows 30 s beyond the benchmark's own deadline for stopping consumers and disconnecting.
  return withHardTimeout(options.timeoutMs + 30_000, 'kafka', () => kafkaThroughput(options));
}

if (import.meta.main) await runStandalone(() => runKafkaBench(process.argv.slice(2)));

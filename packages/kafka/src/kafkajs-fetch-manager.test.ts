/*
 * The kafkajs patch (patches/kafkajs@2.2.4.patch) for the consumer's fetch manager: a stop asked for while its
 * fetchers were being rebalanced (a broker left the cluster) was lost, and the new fetchers then looped over a stopped
 * runner for ever, a microtask loop that starved the event loop. It froze a hub whose broker of three was killed
 * (test/e2e/cluster-kill.int.test.ts, in CI). Driven here on kafkajs's own fetch manager, with a fake runner.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface FetchManager {
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface Batch {
  readonly topic: string;
  readonly partition: number;
}
type CreateFetchManager = (options: {
  logger: unknown;
  getNodeIds: () => number[];
  fetch: (nodeId: number) => Promise<Batch[]>;
  handler: (batch: Batch) => Promise<void>;
  concurrency: number;
}) => FetchManager;

const require = createRequire(import.meta.url);
const createFetchManager = require('kafkajs/src/consumer/fetchManager') as CreateFetchManager;

interface SilentLogger {
  namespace(): SilentLogger;
  debug(): void;
  info(): void;
  warn(): void;
  error(): void;
}
const logger: SilentLogger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {} };
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kafkajs fetch manager, patched', () => {
  it('stops for good when stopped while its fetchers rebalance after a broker left', async () => {
    let nodeIds = [1, 2];
    let runnerRunning = true;
    let fetchesAfterStop = 0;
    let releaseHandler: () => void = () => undefined;
    const handlerReleased = new Promise<void>((resolve) => (releaseHandler = resolve));
    let handlerEntered: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => (handlerEntered = resolve));
    let node2Fetched = false;

    const manager = createFetchManager({
      logger,
      getNodeIds: () => nodeIds,
      // The runner's fetch: [] at once once it is stopped (kafkajs's answer), bounded here so an unpatched manager
      // ends the test with an error instead of hanging it.
      fetch: async (nodeId) => {
        if (!runnerRunning) {
          if (++fetchesAfterStop > 1_000) throw new Error('still fetching after the stop');
          return [];
        }
        if (nodeId === 2 && !node2Fetched) {
          node2Fetched = true;
          return [{ topic: 'hub.topic', partition: 0 }];
        }
        await tick(2);
        return [];
      },
      // Node 2's batch is being handled (a stage's transaction) while everything else happens.
      handler: async () => {
        handlerEntered();
        await handlerReleased;
      },
      concurrency: 1,
    });

    const started = manager.start();
    await handlerStarted;
    nodeIds = [2]; // node 1 leaves: its fetcher's next fetch throws the rebalance error, and the manager waits for node 2's
    await tick(20);
    runnerRunning = false; // the runner stops (kafkajs's Runner.stop) while the rebalance waits on the handler
    const stopped = manager.stop();
    releaseHandler();

    await expect(Promise.all([started, stopped])).resolves.toBeDefined();
    await tick(20);
    expect(fetchesAfterStop).toBe(0);
  });
});

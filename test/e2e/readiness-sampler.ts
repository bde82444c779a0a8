/* Samples `/health/ready` of each hub instance every 200 ms, keeping status and failed checks in order. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestHub } from '@hub/hub/testing';

const SAMPLE_MS = 200;

export interface ReadinessSample {
  /** The instance's index. */
  readonly hub: number;
  /** 0 when it did not answer. */
  readonly status: number;
  readonly failedChecks: readonly string[];
}

export interface ReadinessSampler {
  readonly samples: readonly ReadinessSample[];
  /** The latest sample of instance `hub`. */
  last(hub: number): ReadinessSample | undefined;
  stop(): Promise<void>;
}

async function sample(hub: TestHub, index: number): Promise<ReadinessSample> {
  try {
    const response = await fetch(`${hub.url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { failedChecks?: string[] };
    return { hub: index, status: response.status, failedChecks: [...(body.failedChecks ?? [])].sort() };
  } catch {
    return { hub: index, status: 0, failedChecks: [] };
  }
}

export function startReadinessSampler(hubs: readonly TestHub[]): ReadinessSampler {
  const samples: ReadinessSample[] = [];
  const running = { on: true };
  const loop = (async () => {
    while (running.on) {
      samples.push(...(await Promise.all(hubs.map((hub, index) => sample(hub, index)))));
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    samples,
    last: (hub) => samples.findLast((entry) => entry.hub === hub),
    async stop() {
      running.on = false;
      await loop;
    },
  };
}

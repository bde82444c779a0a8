import type { GroupLag } from '@hub/kafka';

/** How far a view's build has got: offsets read and left over its groups' partitions (records and markers). */
export interface BuildProgress {
  readonly generation: string;
  readonly read: number;
  readonly remaining: number;
  /** Offsets read per second since the build started here; null until it has read something. */
  readonly perSecond: number | null;
  /** Seconds left at that rate; null while there is no rate. */
  readonly etaSeconds: number | null;
}

/** Offsets committed and left, summed over the build's groups and partitions. */
export function offsetsOf(lags: readonly GroupLag[]): { readonly committed: number; readonly remaining: number } {
  let committed = 0;
  let remaining = 0;
  for (const lag of lags) {
    for (const partition of lag.partitions) {
      committed += partition.committed === null ? 0 : Number(partition.committed);
      remaining += partition.lag;
    }
  }
  return { committed, remaining };
}

/** Progress since `started` (offsets committed when this process began the build, and when). */
export function measureProgress(
  generation: string,
  started: { readonly committed: number; readonly atMs: number },
  now: { readonly committed: number; readonly remaining: number; readonly atMs: number },
): BuildProgress {
  const read = Math.max(0, now.committed - started.committed);
  const seconds = (now.atMs - started.atMs) / 1000;
  const perSecond = read > 0 && seconds > 0 ? read / seconds : null;
  const etaSeconds = perSecond === null ? null : now.remaining / perSecond;
  return { generation, read, remaining: now.remaining, perSecond, etaSeconds };
}

/** One line for the terminal and the log: counts and rates only. */
export function describeProgress(view: string, progress: BuildProgress): string {
  const rate = progress.perSecond === null ? 'starting' : `${Math.round(progress.perSecond)} events/s`;
  const eta = progress.etaSeconds === null ? '' : `, about ${Math.ceil(progress.etaSeconds)} s left`;
  return `view ${view} rebuilding: ${progress.read} events read, ${progress.remaining} to go, ${rate}${eta}`;
}

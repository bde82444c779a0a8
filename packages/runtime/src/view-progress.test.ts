import { describe, expect, it } from 'vitest';
import { describeProgress, measureProgress, offsetsOf } from './view-progress.ts';

describe('a build’s progress', () => {
  it('sums committed offsets and lag over groups and partitions (no offset yet counts as 0)', () => {
    const lag = (committed: (string | null)[], lags: number[]) => ({
      progressed: true,
      lag: lags.reduce((a, b) => a + b, 0),
      partitions: committed.map((c, partition) => ({ partition, committed: c, end: '0', lag: lags[partition] ?? 0 })),
    });
    expect(offsetsOf([lag(['10', null], [5, 7]), lag(['3'], [1])])).toEqual({ committed: 13, remaining: 13 });
  });

  it('gives events read since this process began, the rate and the time left', () => {
    const progress = measureProgress(
      'g1',
      { committed: 100, atMs: 0 },
      { committed: 1_100, remaining: 3_000, atMs: 2_000 },
    );
    expect(progress).toEqual({ generation: 'g1', read: 1_000, remaining: 3_000, perSecond: 500, etaSeconds: 6 });
    expect(describeProgress('inbox', progress)).toBe(
      'view inbox rebuilding: 1000 events read, 3000 to go, 500 events/s, about 6 s left',
    );
  });

  it('has no rate before anything is read', () => {
    const progress = measureProgress('g1', { committed: 0, atMs: 0 }, { committed: 0, remaining: 10, atMs: 0 });
    expect([progress.perSecond, progress.etaSeconds]).toEqual([null, null]);
    expect(describeProgress('audit', progress)).toBe('view audit rebuilding: 0 events read, 10 to go, starting');
  });
});

import { DependencyUnavailableError, HubError } from '@hub/errors';
import { describe, expect, it } from 'vitest';
import { orNotReady } from './not-ready.ts';

describe('orNotReady', () => {
  it('answers the work, turns any other failure into not-ready with the detail, and logs only its name', async () => {
    expect(await orNotReady(() => Promise.resolve(7), 'unused')).toBe(7);
    const logged: Record<string, unknown>[] = [];
    const log = { warn: (fields: Record<string, unknown>) => void logged.push(fields) };
    const failing = () => Promise.reject(new TypeError('broker gone; record for 9434765919'));
    await expect(orNotReady(failing, 'Retry later.', log)).rejects.toMatchObject({
      code: 'not-ready',
      message: 'Retry later.',
    });
    expect(logged).toEqual([{ errorName: 'TypeError' }]);
  });

  it('lets a HubError through unchanged', async () => {
    const own = new HubError('validation-failed', 'bad');
    await expect(orNotReady(() => Promise.reject(own), 'Retry later.')).rejects.toBe(own);
  });

  it('rethrows the typed unavailability error for the error handler to map', async () => {
    const down = new DependencyUnavailableError('kafka');
    await expect(orNotReady(() => Promise.reject(down), 'Retry later.')).rejects.toBe(down);
  });
});

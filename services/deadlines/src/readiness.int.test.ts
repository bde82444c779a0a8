import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadlinesService } from './service.ts';

// The bank-holiday data's renewBy is 2027-09-30 (packages/calendar/README.md): stale from England's next day.
let clock = new Date('2027-09-30T22:59:59.000Z'); // 23:59:59 BST on the 30th
let harness: RouteHarness | undefined;
beforeAll(async () => {
  harness = await startRouteHarness({
    service: 'deadlines',
    clients: [],
    services: [(deps) => createDeadlinesService(deps)],
    now: () => clock,
  });
});
// Only what beforeAll got to start: a failed start keeps its own cause, not a TypeError here.
afterAll(async () => {
  await harness?.close();
});

describe('the deadline stage is not ready once the bank-holiday data is past its renewal date', () => {
  it('ready on the renewal date, not ready (check calendar) from the next day in England', async () => {
    const ready = await harness!.inject(null, { method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    clock = new Date('2027-09-30T23:00:00.000Z'); // midnight BST: 1 October in England
    const stale = await harness!.inject(null, { method: 'GET', url: '/health/ready' });
    expect(stale.statusCode).toBe(503);
    expect(stale.json()).toMatchObject({ failedChecks: ['calendar'] });
  });
});

import { assertCalendarCurrent, englandAndWalesBankHolidays } from '@hub/calendar';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { deadlineClock, type ClockDeps } from './clock.ts';
import { deadlineCounts } from './counts.ts';
import { deadlineFirer } from './firer.ts';
import { progressProjector, scheduleProjector } from './projectors.ts';
import { createDeadlineStore } from './store.ts';

/**
 * The deadline stage: the deadlines view (each issued notification's deadlines, from `notifications.issued.v1`, and
 * what met them and what fired, from `audit.events.v1`), the clock that ticks what falls due (a worker, on the hub's
 * clock `deps.now`), and the stage that fires each tick's due actions once.
 */
export function createDeadlinesService(
  deps: ServiceDeps,
  clock: Pick<ClockDeps, 'pollMs' | 'batch' | 'retickMs'> = {},
): HubService {
  const store = createDeadlineStore(deps.viewRedis('deadlines'));
  return defineService({
    name: 'deadlines',
    steps: [scheduleProjector(store), progressProjector(store), deadlineFirer({ keys: deps.keyStore, store })],
    workers: [deadlineClock({ store, kafka: deps.kafka, logger: deps.logger, now: deps.now, ...clock })],
    views: ['deadlines'],
    // Deadlines are counted in England's working hours: past the bank-holiday data's renewBy date (nine months or
    // more before it runs out) the process says it is not ready, long before a deadline could fall beyond it.
    readinessChecks: [
      {
        name: 'calendar',
        check: () =>
          new Promise<void>((resolve) => {
            assertCalendarCurrent(englandAndWalesBankHolidays(), deps.now());
            resolve();
          }),
      },
    ],
    // Operators see how many are overdue, escalated and not delivered (`hub_notifications` on /metrics).
    readings: async () => ({ notifications: await deadlineCounts(deps.viewRedis('deadlines')) }),
  });
}

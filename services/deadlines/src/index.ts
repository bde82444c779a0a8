export { createDeadlinesService } from './service.ts';
export { createDeadlineStore, COUNTED_STATUSES, type DeadlineStore } from './store.ts';
export { deadlineClock, caughtUp, CLOCK_DEFAULTS, type ClockDeps } from './clock.ts';
export { deadlineFirer, fire, escalationId, type FirerDeps } from './firer.ts';
export { progressProjector, scheduleProjector } from './projectors.ts';
export { actionKey, dueActions, nextDue, type DeadlineAction, type DeliveryRecord, type Schedule } from './decide.ts';
export { deadlineCounts } from './counts.ts';

/** @hub/runtime: the shared pieces of a hub process, the service face, and the process's start and stop. */
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export {
  defineService,
  type HubService,
  type ServiceDeps,
  type ServiceFactory,
  type ServiceReadings,
} from './service.ts';
export { runMain } from './main.ts';
export { hubEnv, loadHubConfig, type HubConfig } from './config.ts';
export { holdInstanceName, INSTANCE_LEASE_MS, type InstanceNameLease } from './instance-name.ts';
export {
  createViewGenerations,
  VIEW_CHECK_INTERVAL_MS,
  type ViewGenerations,
  type ViewState,
} from './view-generations.ts';
export {
  startWorkers,
  WORKER_BACKOFF,
  type RunningWorkers,
  type Worker,
  type WorkerBackoff,
  type WorkerContext,
} from './workers.ts';
export { SHUTDOWN_GRACE_MS, STOP_DEADLINES_MS, type StopDeadlines, type StopPhaseName } from './stop-phases.ts';
export { describeProgress, type BuildProgress } from './view-progress.ts';
export { generationSchema, postgresMarkers, type PostgresMarkers } from './view-postgres.ts';

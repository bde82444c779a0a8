export { createPlanIntake, planChange, type PlanIntake, type PlanIntakeDeps } from './plans.ts';
export { createFgmIntake, type FgmIntake, type FgmIntakeDeps } from './fgm.ts';
export { startChildProtectionNotifier, notifyPlan, routeOf, type NotifierDeps, type NotifyDeps } from './notifier.ts';
export {
  createFlagLookup,
  plansInScope,
  settingOf,
  type FlagLookup,
  type FlagLookupDeps,
  type FlagQuery,
  type PlanInScope,
} from './lookup.ts';
export {
  CP_KEYS,
  createFlagView,
  type FlagView,
  type StoredFgmIndicator,
  type StoredPlan,
  type UnscheduledAccess,
  type VersionWrite,
} from './flag-view.ts';
export {
  FLAG_VIEW_GROUP_PREFIX,
  startFlagViewProjector,
  storedFgmOf,
  storedPlanOf,
  type FlagViewProjectorOptions,
} from './projector.ts';
export { registerChildProtectionRoutes, type ChildProtectionRouteDeps } from './routes.ts';

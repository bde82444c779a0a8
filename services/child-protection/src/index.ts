export { createChildProtectionService } from './service.ts';
export { createPlanIntake, type PlanIntake, type PlanIntakeDeps } from './plans.ts';
export { createFgmIntake, type FgmIntake, type FgmIntakeDeps } from './fgm.ts';
export { notifierStages, type NotifyDeps } from './notifier.ts';
export { createFlagLookup, type FlagLookup, type FlagLookupDeps } from './lookup.ts';
export { createFlagView, type FlagView } from './flag-view.ts';
export { flagViewProjectors, type FlagViewProjectorOptions } from './projector.ts';
export { childProtectionRoutes, type ChildProtectionRouteDeps } from './routes.ts';

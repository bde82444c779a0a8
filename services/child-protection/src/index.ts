export { createPlanIntake, type PlanIntake, type PlanIntakeDeps } from './plans.ts';
export { createFgmIntake, type FgmIntake, type FgmIntakeDeps } from './fgm.ts';
export { startChildProtectionNotifier, type NotifierDeps } from './notifier.ts';
export { createFlagLookup, type FlagLookup, type FlagLookupDeps } from './lookup.ts';
export { createFlagView, type FlagView } from './flag-view.ts';
export { startFlagViewProjector, type FlagViewProjectorOptions } from './projector.ts';
export { registerChildProtectionRoutes, type ChildProtectionRouteDeps } from './routes.ts';

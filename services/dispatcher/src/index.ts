export { createDispatcherService } from './service.ts';
export { dispatch, dispatcherStage, type DispatcherDeps } from './stage.ts';
export { createLineage, type Lineage, type LineageSlot } from './lineage.ts';
export { lineageProjector } from './lineage-projector.ts';

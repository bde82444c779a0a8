export { dispatch, startDispatcherStage, type DispatcherDeps } from './stage.ts';
export { createLineage, type Lineage, type LineageSlot } from './lineage.ts';

export { createHub, HUB_SERVICE_FACTORIES, type Hub, type HubDeps } from './hub.ts';
export { hubEnv, loadHubConfig, type HubConfig } from '@hub/runtime';
export { askForRebuild, rebuildState, type RebuildAsked, type RebuildState } from './rebuild.ts';

export { createHub, type Hub, type HubDeps } from './hub.ts';
export { hubEnv, loadHubConfig, type HubConfig } from './config.ts';

export { DEMO_CLIENTS, type DemoClientId } from './clients.ts';
export { DEMO_DIR, DEMO_FILES, DEFAULT_HUB_URL } from './paths.ts';

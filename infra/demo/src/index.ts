export { DEMO_CLIENTS, type DemoClientId } from './clients.ts';
export { DEMO_DIR, DEMO_FILES, demoFiles, type DemoFiles } from './paths.ts';
export { prepareDemo, hubEnvFile } from './prepare.ts';

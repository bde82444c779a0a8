/**
 * The all-in-one hub process: `node services/hub/src/main.ts`. Configuration comes from the environment
 * (services/hub/README.md lists the keys); SIGTERM and SIGINT stop it gracefully, SIGHUP reloads.
 */
import { runMain } from '@hub/runtime';
import { HUB_SERVICE_FACTORIES } from './hub.ts';

await runMain('hub', HUB_SERVICE_FACTORIES);

/**
 * Prepares the demo on this machine (run by `./hub start`): a key pair per demo client, the client registry, and the
 * env file the hub is started with, which carries the local stack's addresses (LOCAL_* variables, see
 * infra/local/README.md). See prepare.ts.
 */
import { readSettings } from '@hub/infra-local/settings';
import { DEMO_CLIENTS } from './clients.ts';
import { DEMO_FILES } from './paths.ts';
import { DEMO_CONSOLE_OFFICER, prepareDemo } from './prepare.ts';

prepareDemo(DEMO_FILES, readSettings());
process.stdout.write(`demo clients ready in ${DEMO_FILES.dir}: ${DEMO_CLIENTS.map((c) => c.clientId).join(', ')}\n`);
process.stdout.write(
  `IG console: /console/ on the hub, sign in as ${DEMO_CONSOLE_OFFICER.username} with the password in ` +
    `${DEMO_FILES.consolePassword}\n`,
);

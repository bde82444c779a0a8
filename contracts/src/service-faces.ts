import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP_ROUTES } from './http-api.ts';
import { HUB_VIEWS } from './state.ts';
import { HUB_SERVICES, STEPS, type HubServiceName, type Step } from './steps.ts';

/**
 * Each service's face, written into its README between markers from the declarations themselves (`STEPS`,
 * `HTTP_ROUTES`), so a README cannot disagree with what the service serves and consumes. `node
 * contracts/src/service-faces.ts` (`pnpm contracts:generate`) rewrites them; `service-faces.test.ts` fails when
 * one is stale.
 */

export const FACE_BEGIN = '<!-- face: generated from contracts/src/steps.ts and http-api.ts; do not edit -->';
export const FACE_END = '<!-- face: end -->';

/** The README that carries each service's face (the auth face is the runtime's: every process serves it). */
export const FACE_READMES: Readonly<Record<HubServiceName, string>> = {
  auth: 'packages/runtime/README.md',
  'police-gateway': 'services/police-gateway/README.md',
  identity: 'services/identity/README.md',
  'ig-engine': 'services/ig-engine/README.md',
  dispatcher: 'services/dispatcher/README.md',
  'child-protection': 'services/child-protection/README.md',
  inbox: 'services/inbox/README.md',
  audit: 'services/audit/README.md',
  console: 'services/console/README.md',
  deadlines: 'services/deadlines/README.md',
  hub: 'services/hub/README.md',
};

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function stepNames(service: HubServiceName): [string, Step][] {
  return Object.entries(STEPS).filter(([, step]) => step.service === service);
}

function topics(list: readonly { readonly name: string }[]): string {
  return list.map((topic) => `\`${topic.name}\``).join(', ');
}

/** The markdown of one service's face. */
export function renderServiceFace(service: HubServiceName): string {
  const steps = stepNames(service);
  const lines = [`**Face of \`${service}\`**: ${HUB_SERVICES[service]}`, ''];
  const operations = steps.flatMap(([, step]) => (step.kind === 'request' ? step.operations : []));
  if (operations.length > 0) {
    lines.push('| route | roles | operation |', '| --- | --- | --- |');
    for (const id of operations) {
      const route = HTTP_ROUTES[id];
      const roles = route.roles.length === 0 ? 'public' : route.roles.join(', ');
      lines.push(`| \`${route.method.toUpperCase()} ${route.path}\` | ${roles} | \`${id}\` |`);
    }
    lines.push('');
  }
  lines.push('| step | kind | reads (group) | writes (transactional id) |', '| --- | --- | --- | --- |');
  for (const [name, step] of steps) {
    const reads =
      step.kind === 'stage' || step.kind === 'projector' ? `${topics([step.input])} (\`${step.groupId}\`)` : '-';
    const writes =
      step.kind === 'projector'
        ? `view \`${step.view}\``
        : `${topics(step.outputs)}${'transactionalId' in step && step.transactionalId !== null ? ` (\`${step.transactionalId}\`)` : ''}` +
          (step.kind === 'stage' && step.view !== undefined ? `; view \`${step.view}\`` : '');
    lines.push(`| \`${name}\` | ${step.kind} | ${reads} | ${writes} |`);
  }
  const views = [
    ...new Set(
      steps.flatMap(([, step]) =>
        step.kind === 'projector' || (step.kind === 'stage' && step.view) ? [step.view] : [],
      ),
    ),
  ].filter((view) => view !== undefined);
  lines.push(
    '',
    'Configuration: the keys every hub process reads (services/hub/README.md, "Configuration"); run alone with ' +
      (service === 'auth' || service === 'hub'
        ? '`node services/hub/src/main.ts`.'
        : `\`node services/${service}/src/main.ts\`.`),
  );
  if (views.length > 0) {
    lines.push('', 'Views: ' + views.map((view) => `\`${view}\` (${HUB_VIEWS[view].description})`).join('; '));
  }
  return lines.join('\n');
}

/** The README text with its face section replaced (or appended when it has none). */
export function withFace(readme: string, service: HubServiceName): string {
  // Prettier would re-pad the tables: the section is generated, so it is left as written.
  const section = `${FACE_BEGIN}\n<!-- prettier-ignore-start -->\n\n${renderServiceFace(service)}\n\n<!-- prettier-ignore-end -->\n${FACE_END}`;
  const begin = readme.indexOf(FACE_BEGIN);
  const end = readme.indexOf(FACE_END);
  if (begin === -1 || end === -1) return `${readme.trimEnd()}\n\n## Face\n\n${section}\n`;
  return readme.slice(0, begin) + section + readme.slice(end + FACE_END.length);
}

export function writeServiceFaces(root: string = REPO_ROOT): string[] {
  const written: string[] = [];
  for (const [service, file] of Object.entries(FACE_READMES) as [HubServiceName, string][]) {
    const path = resolve(root, file);
    const before = readFileSync(path, 'utf8');
    const after = withFace(before, service);
    if (after !== before) {
      writeFileSync(path, after);
      written.push(file);
    }
  }
  return written;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = writeServiceFaces();
  process.stdout.write(`service faces: ${written.length === 0 ? 'all current' : `rewrote ${written.join(', ')}`}\n`);
}

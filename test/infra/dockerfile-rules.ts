/*
 * What the Dockerfile must say, checked from its text (no Docker engine runs here): a pinned base image, a runtime
 * stage that runs as a non-root user with a health check on /health/ready, and nothing installed in that stage.
 */

export interface Instruction {
  /** Upper case, e.g. `RUN`. */
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** The stage's `AS` name, or its index when it has none. */
  readonly name: string;
  /** What it is built `FROM`, as written (`${NODE_IMAGE}`, another stage's name, an image). */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** `ARG` defaults declared before the first `FROM` (the ones a `FROM` may use). */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

/** Instructions with their continuation lines joined; comments, blank lines and the parser directive dropped. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (pending === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (pending !== '' && trimmed.startsWith('#')) continue;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const whole = `${pending}${trimmed}`;
    pending = '';
    const match = /^(\w+)\s+(.*)$/.exec(whole);
    if (match !== null) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '' });
  }

  const globalArgs = new Map<string, string>();
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === 'AS' && name !== undefined ? name : String(stages.length),
        from,
        instructions: [],
      });
    } else if (stages.length === 0) {
      const arg = /^(\w+)=(\S+)$/.exec(instruction.args);
      if (instruction.keyword === 'ARG' && arg !== null) globalArgs.set(arg[1] ?? '', arg[2] ?? '');
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The image a `FROM` names, with `${ARG}` replaced by the global ARG's default; undefined for another stage. */
function baseImage(dockerfile: Dockerfile, stage: Stage): string | undefined {
  if (dockerfile.stages.some((other) => other.name === stage.from)) return undefined;
  return stage.from.replace(/\$\{(\w+)\}/g, (_whole, name: string) => dockerfile.globalArgs.get(name) ?? '');
}

/** Every rule, over the Dockerfile's text; `nodeVersion` is .nvmrc's. Empty when the file is sound. */
export function dockerfileViolations(text: string, nodeVersion: string): string[] {
  const dockerfile = parseDockerfile(text);
  const problems: string[] = [];
  for (const stage of dockerfile.stages) {
    const image = baseImage(dockerfile, stage);
    if (image === undefined) continue;
    const tag = /^[^:@]+:([\w][\w.-]*)$/.exec(image)?.[1];
    if (tag === undefined || tag === 'latest') problems.push(`stage ${stage.name}: ${image} must be pinned by a tag`);
    else if (image.startsWith('node:') && !tag.startsWith(`${nodeVersion}-`) && tag !== nodeVersion) {
      problems.push(`stage ${stage.name}: ${image} must be the Node version of .nvmrc (${nodeVersion})`);
    }
  }

  // The default target: the last stage, which must be the hub's runtime.
  const runtime = dockerfile.stages.at(-1);
  if (runtime?.name !== 'runtime') return [...problems, 'the last stage (the default target) must be `runtime`'];
  const users = runtime.instructions.filter((instruction) => instruction.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('runtime: must run as a non-root USER');
  const cmdIndex = runtime.instructions.findIndex((instruction) => instruction.keyword === 'CMD');
  const userIndex = runtime.instructions.findIndex((instruction) => instruction.keyword === 'USER');
  if (cmdIndex !== -1 && userIndex > cmdIndex) problems.push('runtime: USER must come before CMD');
  const healthcheck = runtime.instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK');
  if (healthcheck === undefined || !healthcheck.args.includes('/health/ready')) {
    problems.push('runtime: must have a HEALTHCHECK on /health/ready');
  }
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'RUN' && /\b(pnpm|npm|yarn|corepack)\b/.test(instruction.args)) {
      problems.push('runtime: installs nothing (packages come from the build stage)');
    }
    if (instruction.keyword === 'COPY' && !RUNTIME_COPIES.some((allowed) => instruction.args.startsWith(allowed))) {
      problems.push("runtime: copies only from the build stage (and the console-ui stage's built dist/)");
    }
  }
  return problems;
}

/** What the runtime may copy: the build stage's closure, and only the built page of the console-ui stage. */
const RUNTIME_COPIES = ['--from=build ', '--from=console-ui /app/services/console/ui/dist '];

/** The pnpm selector a build stage hands infra/image/collect.sh, with the stage's ARG defaults substituted. */
export function collectSelector(text: string, stageName: string): string {
  const stage = parseDockerfile(text).stages.find((s) => s.name === stageName);
  const args = new Map<string, string>();
  for (const instruction of stage?.instructions ?? []) {
    const arg = instruction.keyword === 'ARG' ? /^(\w+)=(\S+)$/.exec(instruction.args) : null;
    if (arg !== null) args.set(arg[1] ?? '', arg[2] ?? '');
  }
  const run = stage?.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('infra/image/collect.sh'));
  const selector = /collect\.sh \/out "([^"]+)"/.exec(run?.args ?? '')?.[1];
  if (selector === undefined)
    throw new Error(`stage ${stageName} does not run infra/image/collect.sh /out "<selector>"`);
  return selector.replace(/\$\{(\w+)\}/g, (_whole, name: string) => args.get(name) ?? '');
}

/** Development tools that must never reach an image: these packages, and every package of these scopes. */
const DEV_TOOLS = ['vitest', 'vite', 'esbuild', 'typescript', 'eslint', 'prettier', 'testcontainers'];
const DEV_TOOL_SCOPES = ['@vitest/', '@esbuild/', '@types/', '@testcontainers/'];
/** The workspace's test packages, which no image runs either. */
const TEST_PACKAGES = ['@hub/test', '@hub/testkit'];

export function isDevelopmentPackage(name: string): boolean {
  return (
    DEV_TOOLS.includes(name) || TEST_PACKAGES.includes(name) || DEV_TOOL_SCOPES.some((scope) => name.startsWith(scope))
  );
}

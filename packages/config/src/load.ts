import type { z } from 'zod';

/** Where configuration comes from: `process.env` in a service, a literal object in a test. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** What `loadConfig` returns: the parsed configuration, read-only all the way down (and frozen at run time). */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer Item)[]
    ? readonly DeepReadonly<Item>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The type of a loaded configuration, for services that declare it: `type MyConfig = ConfigOf<typeof myEnv>`. */
export type ConfigOf<S extends z.ZodObject> = DeepReadonly<z.output<S>>;

/** One thing wrong with the environment: which variable, and what is wrong with it (never its value). */
export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

/** Thrown by `loadConfig` when the environment does not satisfy the schema. Lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${p.variable}: ${p.problem}`);
    super([`Invalid configuration (${count}):`, ...lines].join('\n'));
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** Shorter than this, a value is too short to be a secret and too likely to be a word in the message itself. */
const MIN_SCRUBBED_LENGTH = 4;
const HIDDEN = '[value hidden]';

/**
 * Parses the environment once, at start-up, with a zod object schema whose keys are environment variable names.
 * Only the keys the schema declares are read; an empty value counts as unset, so defaults apply to `FOO=`.
 * Throws a `ConfigError` naming every bad or missing variable at once, without echoing any value (values can be
 * secrets or paths that carry people's names). Returns a deeply frozen object.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: EnvSource = process.env): ConfigOf<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }

  const result = schema.safeParse(input, {
    // Only for zod's built-in messages; a missing variable otherwise reads "expected string, received undefined".
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => toProblem(issue, input)));
  }
  return deepFreeze(result.data) as ConfigOf<S>;
}

function toProblem(issue: z.core.$ZodIssue, input: Readonly<Record<string, string>>): ConfigProblem {
  const [head, ...rest] = issue.path;
  if (typeof head !== 'string') return { variable: '(configuration)', problem: issue.message };
  const variable = head + rest.map((segment) => `[${String(segment)}]`).join('');
  // Our own messages never contain the value; a service's custom message might. Belt and braces.
  const value = input[head];
  const problem =
    value !== undefined && value.length >= MIN_SCRUBBED_LENGTH
      ? issue.message.replaceAll(value, HIDDEN)
      : issue.message;
  return { variable, problem };
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

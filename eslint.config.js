// Type-aware lint across the workspace. The rules that matter most here: no floating promises (a lost promise is
// a lost notification), no misused promises, exhaustive switches over the `as const` unions; and the library
// boundaries of docs/conventions.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Each infrastructure library is imported by one package only (docs/conventions.md, "Boundaries"): everyone else
 * goes through that package's API. zod is not here: contracts, config, auth, policy, http, kafka, directory,
 * signing and two services' query parsers use it directly, and that is by design.
 */
const BOUNDARIES = [
  {
    library: 'kafkajs',
    modules: ['kafkajs', 'kafkajs/*'],
    // The one exception: the raw pipeline benchmark (issue 10) measures the hub's hops on kafkajs directly, without
    // @hub/kafka, as the anchor the hub's throughput is compared with. Nothing else in test/bench may.
    owners: ['packages/kafka/**', 'test/bench/raw-pipeline.ts'],
    via: '@hub/kafka',
  },
  { library: 'ioredis', modules: ['ioredis', 'ioredis/*'], owners: ['packages/redis/**'], via: '@hub/redis' },
  { library: 'pg', modules: ['pg', 'pg/*', 'pg-*'], owners: ['packages/postgres/**'], via: '@hub/postgres' },
  {
    library: 'fastify',
    modules: ['fastify', 'fastify/*', '@fastify/*', 'fastify-plugin'],
    owners: ['packages/http/**'],
    via: '@hub/http',
  },
  { library: 'node-jose', modules: ['node-jose', 'node-jose/*'], owners: ['packages/signing/**'], via: '@hub/signing' },
  { library: 'pino', modules: ['pino', 'pino/*', 'pino-*'], owners: ['packages/logger/**'], via: '@hub/logger' },
  // One registry per process and label values checked against allow-lists (no personal data in a series) hold only
  // if every metric goes through @hub/metrics.
  {
    library: 'prom-client',
    modules: ['prom-client', 'prom-client/*'],
    owners: ['packages/metrics/**'],
    via: '@hub/metrics',
  },
  // Spans only where the hub decides (a request, a record a step handles), attributes checked against allow-lists
  // (no personal data in a trace), one tracer provider per runtime: all of it in @hub/tracing.
  {
    library: 'OpenTelemetry',
    modules: ['@opentelemetry/*'],
    owners: ['packages/tracing/**'],
    via: '@hub/tracing',
  },
  {
    library: 'testcontainers',
    modules: ['testcontainers', 'testcontainers/*', '@testcontainers/*'],
    owners: ['packages/testkit/**', 'test/setup/**'],
    via: '@hub/testkit',
  },
];

/** The same module patterns as a regular expression over an `import('…')` source, for dynamic imports. */
const dynamicPattern = (modules) =>
  `^(${modules.map((module) => module.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*')).join('|')})$`;

/** The two rules that enforce the boundaries, for files that own none of `except`'s libraries. */
function boundaryRules(except) {
  const refused = BOUNDARIES.filter((boundary) => boundary !== except);
  const message = (boundary) => `${boundary.library} belongs to ${boundary.via}: import that package instead.`;
  return {
    'no-restricted-imports': [
      'error',
      { patterns: refused.map((boundary) => ({ group: boundary.modules, message: message(boundary) })) },
    ],
    'no-restricted-syntax': [
      'error',
      ...refused.map((boundary) => ({
        selector: `ImportExpression[source.value=/${dynamicPattern(boundary.modules)}/]`,
        message: message(boundary),
      })),
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.cache/**',
      '.data/**',
      'coverage/**',
      'eslint.config.js',
      'services/console/ui/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  { rules: boundaryRules(undefined) },
  // Later entries win: each owner gets the same rules less its own library.
  ...BOUNDARIES.map((boundary) => ({ files: boundary.owners, rules: boundaryRules(boundary) })),
  {
    files: ['**/*.test.ts', '**/*.int.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);

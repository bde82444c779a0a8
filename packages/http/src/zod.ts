import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider } from 'fastify';
import { HubError, type FieldError } from '@hub/errors';
import { z } from 'zod';

/** The request parts a pointer can start with. `query` is fastify's `querystring`. */
export type RequestPart = 'body' | 'query' | 'params' | 'headers';

/** At most this many field errors are returned; a 10 000-element array of bad items must not echo 10 000 errors. */
export const MAX_REPORTED_FIELD_ERRORS = 20;

const PART_BY_HTTP_PART: Readonly<Record<string, RequestPart>> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/**
 * Lets route handlers see the parsed zod output types of `schema.body`, `schema.querystring`, `schema.params` and
 * `schema.headers`. The output (not input) type is used because the validator replaces each part with zod's parsed
 * value (defaults applied, unknown keys stripped, coercions done).
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  readonly serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` in each reference token. */
export function jsonPointer(tokens: readonly PropertyKey[]): string {
  return tokens.map((token) => `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The detail of the one error reported for an object with unknown keys (which are never named: clients chose them). */
export function unknownFieldsDetail(count: number): string {
  return `Unknown fields are not allowed (${count}).`;
}

/**
 * Every property name the schema declares, at any depth. A path segment that is not one of these came from the
 * client (a key of a `z.record` or `z.map`), and client-chosen text never goes into a pointer.
 */
function declaredKeys(schema: z.core.$ZodType, into = new Set<string>(), seen = new Set<unknown>()): Set<string> {
  if (seen.has(schema)) return into;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown>;
  if (def['type'] === 'object') {
    for (const [key, inner] of Object.entries(def['shape'] as Record<string, z.core.$ZodType>)) {
      into.add(key);
      declaredKeys(inner, into, seen);
    }
  }
  const visit = (candidate: unknown): void => {
    if (candidate instanceof z.core.$ZodType) declaredKeys(candidate, into, seen);
  };
  for (const member of ['innerType', 'element', 'in', 'out', 'left', 'right', 'valueType', 'catchall', 'rest']) {
    visit(def[member]);
  }
  for (const member of ['options', 'items']) {
    const list = def[member];
    if (Array.isArray(list)) list.forEach(visit);
  }
  if (def['type'] === 'lazy' && typeof def['getter'] === 'function') visit((def['getter'] as () => unknown)());
  return into;
}

/** Segments a handler's schema (unknown here) most likely declared; used only when no schema is given. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The path up to (not including) the first segment the client chose. Array indexes are kept. */
function safePath(path: readonly PropertyKey[], isDeclared: (key: string) => boolean): PropertyKey[] {
  const end = path.findIndex((segment) => typeof segment !== 'number' && !isDeclared(String(segment)));
  return end === -1 ? [...path] : path.slice(0, end);
}

/**
 * Turns a zod failure on one request part into a 400 `validation-failed` HubError whose `errors` name each failing
 * field by JSON pointer (`/body/subjects/0/nhsNumber`). Pointers never hold text the client chose: unknown keys
 * under `.strict()` give one error at the containing object ("Unknown fields are not allowed (2)"), and a pointer
 * stops before any key that `schema` does not declare (keys of a `z.record`). Without `schema` (a ZodError thrown
 * by a handler) a pointer stops before any segment that is not a plain identifier. Details are zod's issue
 * messages, which describe the rule and never include the input value.
 */
export function toValidationError(part: RequestPart, error: z.core.$ZodError, schema?: z.core.$ZodType): HubError {
  const keys = schema === undefined ? undefined : declaredKeys(schema);
  const isDeclared = (key: string): boolean => (keys === undefined ? IDENTIFIER.test(key) : keys.has(key));
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const path = safePath(issue.path, isDeclared);
    const cut = path.length < issue.path.length;
    const detail =
      issue.code === 'unrecognized_keys'
        ? unknownFieldsDetail(issue.keys.length)
        : cut
          ? 'A member of this object is invalid.'
          : issue.message;
    const pointer = jsonPointer([part, ...path]);
    // Several unknown-key or cut issues can land on one pointer; report each pointer and detail once.
    if (!errors.some((existing) => existing.pointer === pointer && existing.detail === detail)) {
      errors.push({ pointer, detail });
    }
  }
  const count = errors.length;
  const shown = errors.slice(0, MAX_REPORTED_FIELD_ERRORS);
  const detail =
    count > shown.length
      ? `The request has ${count} invalid fields; the first ${shown.length} are listed.`
      : `The request has ${count} invalid ${count === 1 ? 'field' : 'fields'}.`;
  return new HubError('validation-failed', detail, { errors: shown });
}

function isZodSchema(schema: unknown): schema is z.ZodType {
  return schema instanceof z.ZodType;
}

/**
 * Fastify validator compiler for zod schemas. On success the request part is replaced by zod's parsed value; on
 * failure fastify hands the returned HubError to the error handler, which answers 400 problem+json.
 * Header keys arrive lowercased, so header schemas must use lowercase keys. Headers a header schema strips stay
 * readable: fastify overlays the parsed value on the raw headers.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, method, url }) => {
  if (!isZodSchema(schema)) {
    throw new Error(`Route ${method} ${url}: the ${httpPart ?? 'request'} schema must be a zod schema.`);
  }
  const part = PART_BY_HTTP_PART[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: toValidationError(part, result.error, schema) };
  };
};

/**
 * Fastify serializer compiler for zod response schemas: the payload is parsed (so unknown keys, which could hold
 * personal data, are stripped) and then stringified. A payload that fails its own response schema is a server bug,
 * so it becomes a plain Error (500 `internal`), never a 400.
 */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  if (!isZodSchema(schema)) {
    throw new Error(`Route ${method} ${url}: the ${httpStatus ?? ''} response schema must be a zod schema.`);
  }
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (!result.success) {
      throw new Error(`Response for ${method} ${url} (${httpStatus ?? '?'}) does not match its schema.`, {
        cause: result.error,
      });
    }
    return JSON.stringify(result.data);
  };
};

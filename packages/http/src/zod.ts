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

/**
 * Turns a zod failure on one request part into a 400 `validation-failed` HubError whose `errors` name each failing
 * field by JSON pointer (`/body/subjects/0/nhsNumber`). Unknown keys under `.strict()` get one pointer per key.
 * Details are zod's issue messages, which describe the rule and never include the input value.
 */
export function toValidationError(part: RequestPart, error: z.core.$ZodError): HubError {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ pointer: jsonPointer([part, ...issue.path, key]), detail: 'Unknown field.' });
      }
    } else {
      errors.push({ pointer: jsonPointer([part, ...issue.path]), detail: issue.message });
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
    return result.success ? { value: result.data } : { error: toValidationError(part, result.error) };
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

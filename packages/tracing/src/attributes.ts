import { ALL_HTTP_ROUTES, ALL_STEPS, ALL_TOPICS } from '@hub/contracts';

/**
 * Every attribute a hub span may carry, and the only values it may take: a set declared in `@hub/contracts` (route
 * templates, consumer groups, topics) or a fixed shape (a status code, a partition, an offset, an error's class
 * name). Nothing a client or a record holds can pass: a URL, a path parameter, a header, a message key or value is
 * refused, so no personal data reaches a trace whatever the caller passes. The keys are OpenTelemetry's semantic
 * conventions (HTTP and messaging) so a tracing back end shows them as it shows any other service's.
 */

/** The route of a request that matched no route (its raw path may hold an NHS number: never used). */
export const UNMATCHED_ROUTE = 'unmatched';
/** A method the hub serves on no route, or an error type of an unusual shape (OpenTelemetry's own word for both). */
export const OTHER_METHOD = '_OTHER';
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const oneOf = (values: readonly string[]) => {
  const allowed = new Set(values);
  return (value: string | number) => typeof value === 'string' && allowed.has(value);
};
const shape = (pattern: RegExp) => (value: string | number) => pattern.test(String(value));
const wholeNumber = (max: number) => (value: string | number) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;

const consumerGroups = ALL_STEPS.flatMap((step) =>
  step.kind === 'stage' || step.kind === 'projector' ? [step.groupId] : [],
);

/** How each attribute's value is checked. */
const ALLOWED = {
  'http.request.method': oneOf([...HTTP_METHODS, OTHER_METHOD]),
  /** A route template of `HTTP_ROUTES` (`/v1/inboxes/{recipient}/notifications`), never the URL. */
  'http.route': oneOf([...ALL_HTTP_ROUTES.map((route) => route.path), UNMATCHED_ROUTE]),
  'http.response.status_code': wholeNumber(599),
  'messaging.system': oneOf(['kafka']),
  'messaging.operation.type': oneOf(['process']),
  /** A catalogue topic (logical: no namespace). */
  'messaging.destination.name': oneOf(ALL_TOPICS.map((topic) => topic.name)),
  /** A stage's or projector's consumer group in `STEPS` (logical). */
  'messaging.consumer.group.name': oneOf(consumerGroups),
  'messaging.destination.partition.id': shape(/^[0-9]{1,4}$/),
  'messaging.kafka.offset': wholeNumber(Number.MAX_SAFE_INTEGER),
  /** An error's class name (`HubError`), a dead-letter reason (`handler-failed`) or an HTTP status: never a message. */
  'error.type': shape(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
} as const satisfies Record<string, (value: string | number) => boolean>;

export type SpanAttributeKey = keyof typeof ALLOWED;
export type SpanAttributes = { readonly [K in SpanAttributeKey]?: string | number };
export const SPAN_ATTRIBUTE_KEYS = Object.keys(ALLOWED) as readonly SpanAttributeKey[];

/** An attribute outside the allow-list: a bug in the caller. The message names the key, never the value. */
export class SpanAttributeError extends Error {
  override readonly name = 'SpanAttributeError';
}

/** The attributes, each key and value checked; throws SpanAttributeError on the first one outside its allow-list. */
export function checkedAttributes(attributes: SpanAttributes): Record<string, string | number> {
  const checked: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(attributes) as [string, string | number | undefined][]) {
    if (value === undefined) continue;
    const allowed = (ALLOWED as Record<string, ((value: string | number) => boolean) | undefined>)[key];
    if (allowed === undefined) throw new SpanAttributeError(`span attribute ${key} is not on the allow-list`);
    if (!allowed(value)) throw new SpanAttributeError(`span attribute ${key} has a value outside its allow-list`);
    checked[key] = value;
  }
  return checked;
}

/** Whether every attribute is on the allow-list with an allowed value (to choose, where throwing is not wanted). */
export function allowedAttributes(attributes: SpanAttributes): boolean {
  return (Object.entries(attributes) as [string, string | number | undefined][]).every(([key, value]) => {
    const allowed = (ALLOWED as Record<string, ((value: string | number) => boolean) | undefined>)[key];
    return value === undefined || (allowed !== undefined && allowed(value));
  });
}

/** An error's class name (or a dead-letter reason) as `error.type`, or `_OTHER` when it has an unusual shape. */
export function errorTypeAttribute(name: string): string {
  return ALLOWED['error.type'](name) ? name : OTHER_METHOD;
}

/** A request method as an attribute: one the hub knows, or `_OTHER` (a method is client-chosen text). */
export function methodAttribute(method: string): string {
  return (HTTP_METHODS as readonly string[]).includes(method) ? method : OTHER_METHOD;
}

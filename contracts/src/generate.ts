import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  ALL_HTTP_ROUTES,
  HTTP_API_INFO,
  HTTP_PROBLEMS,
  HTTP_SCHEMAS,
  HTTP_TAGS,
  PROBLEM_TYPE_BASE,
  principalsOf,
  type HttpRoute,
  type ProblemResponse,
} from './http-api.ts';
import { isObject, refsIn, sortedKeys, toJson, type Json, type JsonObject } from './json.ts';
import { buildOperations, KAFKA_BINDING_VERSION } from './asyncapi-operations.ts';
import { inboxItem, issuedNotification } from './inbox.ts';
import {
  jwsDescription,
  signedPayloadComponentName,
  signedPayloadLinks,
  signedPayloadSchema,
} from './signed-payload-documents.ts';
import { ALL_SIGNED_PAYLOADS, type SignedPayloadSpec } from './signed-payloads.ts';
import { STEPS, type Step } from './steps.ts';
import { deadLetterTopicName, DURABILITY_PROFILES, FOREVER, DAYS, type TopicSpec } from './topic.ts';
import { ALL_TOPICS } from './topics.ts';

/**
 * Builds the documents generated from the zod contracts: a JSON Schema (draft 2020-12) per topic and per signed
 * payload kind, the OpenAPI 3.1 document of the HTTP API (`http-api.ts`) with the signed payloads a `jws` holds
 * (`signed-payloads.ts`), and the AsyncAPI 3.0 document of the topics (`topics.ts`) with who sends and receives on
 * each (`steps.ts`). `buildDocuments()` is pure; `node contracts/src/generate.ts` (`pnpm contracts:generate`)
 * writes its files to `contracts/generated/`, and `generate.test.ts` fails when the committed files differ from it.
 */

export { refsIn, type Json, type JsonObject };

/** What the documents are built from; the defaults are the hub's own (tests pass others). */
export interface DocumentSources {
  readonly topics: readonly TopicSpec[];
  readonly routes: readonly HttpRoute[];
  readonly schemas: Readonly<Record<string, z.ZodType>>;
  /** The Kafka steps by name (`steps.ts` `STEPS`): the AsyncAPI operations. */
  readonly steps: Readonly<Record<string, Step>>;
  /** The payload kinds a recipient parses after verifying a notification's JWS (`signed-payloads.ts`). */
  readonly signedPayloads: readonly SignedPayloadSpec[];
}

export const HUB_DOCUMENT_SOURCES: DocumentSources = {
  topics: ALL_TOPICS,
  routes: ALL_HTTP_ROUTES,
  schemas: HTTP_SCHEMAS,
  steps: STEPS,
  signedPayloads: ALL_SIGNED_PAYLOADS,
};

export interface GeneratedDocuments {
  readonly openapi: JsonObject;
  readonly asyncapi: JsonObject;
  /** Topic name -> its message JSON Schema. */
  readonly jsonSchemas: Readonly<Record<string, JsonObject>>;
  /** Signed payload kind -> its JSON Schema (`json-schema/signed-payloads/<kind>.json`). */
  readonly signedPayloadSchemas: Readonly<Record<string, JsonObject>>;
  /** Path under `contracts/generated/` -> exact file content. */
  readonly files: Readonly<Record<string, string>>;
}

const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
/** `$id` base of the topic schemas; `.invalid` (RFC 2606) because they identify, they are not fetched. */
export const SCHEMA_ID_BASE = 'https://safeguarding-hub.invalid/schemas/';
const COMPONENT_SCHEMAS = '#/components/schemas/';

/**
 * The `jws` fields whose payload is a signed payload: the inbox item's (OpenAPI). Matched by zod schema identity,
 * so the link follows the field wherever a named schema embeds it.
 */
const JWS_FIELDS: ReadonlySet<z.ZodType> = new Set([inboxItem.shape.jws]);

/**
 * The message headers `@hub/kafka` writes and the dead-letter headers it adds (packages/kafka/README.md,
 * "Dead-letter topics"; `headers.ts`, `dead-letter.ts` and `limits.ts` there). Documentation only: contracts does
 * not depend on @hub/kafka, so a change there must be mirrored here.
 */
const KAFKA_FACTS = {
  maxKeyBytes: 256,
  maxCallerHeaders: 16,
  maxHeaderValueBytes: 1024,
  maxDlqDetailChars: 1024,
  dlqReasons: ['contract-violation', 'undecodable-message', 'handler-failed'],
} as const;

function retentionText(ms: number): string {
  if (ms === FOREVER) return 'forever';
  return ms % DAYS === 0 ? `${ms / DAYS} days` : `${ms} ms`;
}

// -----------------------------------------------------------------------------------------------------------------
// JSON Schema per topic
// -----------------------------------------------------------------------------------------------------------------

/**
 * A topic's message schema, standalone. `io: 'output'`: `@hub/kafka` publishes zod's parsed output (e.g. the
 * normalised postcode), so that is what is on the wire; consumers parse it again as input. Refinements zod cannot
 * express in JSON Schema (NHS number check digit, cross-field rules) are in the `description`s.
 */
function messageSchema(topic: TopicSpec, target: 'draft-2020-12' | 'draft-07'): JsonObject {
  const schema = toJson(z.toJSONSchema(topic.schema, { target, io: 'output', unrepresentable: 'throw' }));
  const refs = refsIn(schema);
  if (refs.length > 0) {
    // A `$ref` would only come from a cycle or an `id` in `.meta()`; embedded in AsyncAPI it would dangle.
    throw new Error(`the schema of ${topic.name} is not self-contained (${refs.join(', ')}); inline it`);
  }
  delete schema['$schema'];
  return schema;
}

/** A signed payload's schema, standalone (`json-schema/signed-payloads/<kind>.json`). */
function signedPayloadJsonSchema(spec: SignedPayloadSpec): JsonObject {
  return {
    $schema: JSON_SCHEMA_2020_12,
    $id: `${SCHEMA_ID_BASE}signed-payloads/${spec.kind}.json`,
    ...signedPayloadSchema(spec, 'draft-2020-12'),
  };
}

function topicJsonSchema(topic: TopicSpec): JsonObject {
  const { description, ...rest } = messageSchema(topic, 'draft-2020-12');
  return {
    $schema: JSON_SCHEMA_2020_12,
    $id: `${SCHEMA_ID_BASE}${topic.name}.json`,
    title: topic.name,
    description: typeof description === 'string' ? `${topic.description}\n\n${description}` : topic.description,
    ...rest,
  };
}

// -----------------------------------------------------------------------------------------------------------------
// OpenAPI 3.1
// -----------------------------------------------------------------------------------------------------------------

const SECURITY_SCHEME = 'hubOAuth';
/** A person's console session cookie (`principals: ['person']`); unsafe methods also send `x-csrf-token`. */
const SESSION_SCHEME = 'consoleSession';

function componentSchemas(sources: DocumentSources): {
  schemas: JsonObject;
  nameOf: (schema: z.ZodType, where: string) => string;
} {
  const names = new Map<z.ZodType, string>();
  for (const [name, schema] of Object.entries(sources.schemas)) {
    if (names.has(schema)) throw new Error(`HTTP_SCHEMAS names one schema twice (${name}, ${names.get(schema) ?? ''})`);
    names.set(schema, name);
  }
  const nameOf = (schema: z.ZodType, where: string): string => {
    const name = names.get(schema);
    if (name === undefined) throw new Error(`${where}: the schema is not named in HTTP_SCHEMAS (http-api.ts)`);
    return name;
  };

  // Request bodies are described as zod parses them (input); everything else as the hub sends it (output).
  const requestBodies = new Set(sources.routes.flatMap((route) => (route.body ? [route.body.schema] : [])));
  const registries = { input: z.registry<{ id: string }>(), output: z.registry<{ id: string }>() };
  for (const [schema, name] of names) {
    registries[requestBodies.has(schema) ? 'input' : 'output'].add(schema, { id: name });
  }
  for (const route of sources.routes) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    if (route.body) nameOf(route.body.schema, where);
    for (const response of Object.values(route.responses)) {
      if (requestBodies.has(response.schema)) throw new Error(`${where}: a response schema is also a request body`);
      // A redirect or a static file has no JSON body to name.
      if ((response.body ?? 'json') === 'json') nameOf(response.schema, where);
    }
    nameOf(route.problemSchema, where);
  }

  const schemas: Record<string, Json> = {};
  /** How many jws fields were linked: the link is made in the converter's callback. */
  const jwsLinks: string[] = [];
  const linkJws = ({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    if (sources.signedPayloads.length === 0 || !JWS_FIELDS.has(zodSchema as z.ZodType)) return;
    jsonSchema['description'] = jwsDescription(sources.signedPayloads);
    jsonSchema['x-signed-payloads'] = signedPayloadLinks(sources.signedPayloads, COMPONENT_SCHEMAS);
    jwsLinks.push('jws');
  };
  for (const io of ['input', 'output'] as const) {
    const converted = z.toJSONSchema(registries[io], {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'throw',
      uri: (id) => `${COMPONENT_SCHEMAS}${id}`,
      override: linkJws,
    });
    for (const [name, schema] of Object.entries(toJson(converted.schemas))) {
      if (!isObject(schema) || name === '__shared') {
        throw new Error(`unexpected shared JSON Schema definitions (${name}): name the schema in HTTP_SCHEMAS`);
      }
      delete schema['$schema'];
      delete schema['$id'];
      schemas[name] = schema;
    }
  }
  for (const spec of sources.signedPayloads) {
    const name = signedPayloadComponentName(spec);
    if (schemas[name] !== undefined) throw new Error(`${name} is declared twice`);
    schemas[name] = signedPayloadSchema(spec, 'draft-2020-12');
  }
  if (sources.signedPayloads.length > 0 && jwsLinks.length === 0) {
    throw new Error('no schema in HTTP_SCHEMAS holds the inbox jws field: the signed payloads would be unreachable');
  }
  return { schemas: sortedKeys(schemas), nameOf };
}

/** Path and query parameters from the route's zod objects (as parsed: input). */
function parameters(route: HttpRoute): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [location, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const object = toJson(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }));
    const properties = isObject(object['properties']) ? object['properties'] : {};
    const required = Array.isArray(object['required']) ? object['required'] : [];
    for (const [name, property] of Object.entries(properties)) {
      if (!isObject(property)) continue;
      const { description, ...propertySchema } = property;
      out.push({
        name,
        in: location,
        required: location === 'path' || required.includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  const declared = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '').join(', ');
  const named = out
    .flatMap((parameter) =>
      parameter['in'] === 'path' && typeof parameter['name'] === 'string' ? [parameter['name']] : [],
    )
    .join(', ');
  if (declared !== named) {
    throw new Error(`${route.path}: the params schema names (${named}) differ from the path's (${declared})`);
  }
  return [...out, { $ref: '#/components/parameters/RequestId' }, { $ref: '#/components/parameters/Traceparent' }];
}

function problemResponses(route: HttpRoute, problemName: string): JsonObject {
  const byStatus = new Map<number, ProblemResponse[]>();
  for (const problem of route.problems)
    byStatus.set(problem.status, [...(byStatus.get(problem.status) ?? []), problem]);
  const responses: JsonObject = {};
  for (const [status, problems] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers: JsonObject = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };
    if (route.roles.length > 0 && (status === 401 || status === 403)) {
      headers['www-authenticate'] = { $ref: '#/components/headers/WwwAuthenticate' };
    }
    responses[String(status)] = {
      description: problems
        .map((problem) => `${HTTP_PROBLEMS[problem.code].title} (\`${problem.code}\`): ${problem.when}`)
        .join('\n\n'),
      headers,
      content: { 'application/problem+json': { schema: { $ref: `${COMPONENT_SCHEMAS}${problemName}` } } },
      'x-problem-codes': problems.map((problem) => problem.code),
    };
  }
  return responses;
}

function operation(route: HttpRoute, nameOf: (schema: z.ZodType, where: string) => string): JsonObject {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const headers: JsonObject = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };
    for (const [name, meaning] of Object.entries(response.headers ?? {})) {
      headers[name] = { description: meaning, schema: { type: 'string' } };
    }
    const body = response.body ?? 'json';
    responses[status] = {
      description: response.description,
      headers,
      ...(body === 'none'
        ? {}
        : body === 'file'
          ? { content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
          : {
              content: {
                'application/json': { schema: { $ref: `${COMPONENT_SCHEMAS}${nameOf(response.schema, where)}` } },
              },
            }),
    };
  }
  Object.assign(responses, problemResponses(route, nameOf(route.problemSchema, where)));
  const roles = route.roles.length > 0 ? `Roles: ${route.roles.join(', ')}.` : 'Public: no token.';
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: `${route.description}\n\n${roles}`,
    tags: [route.tag],
    security:
      route.roles.length > 0
        ? principalsOf(route).map((principal) => ({ [principal === 'client' ? SECURITY_SCHEME : SESSION_SCHEME]: [] }))
        : [],
    'x-roles': [...route.roles],
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            content: {
              [route.body.contentType]: {
                schema: { $ref: `${COMPONENT_SCHEMAS}${nameOf(route.body.schema, where)}` },
              },
            },
          },
        }
      : {}),
    responses,
  };
}

function buildOpenApi(sources: DocumentSources): JsonObject {
  const { schemas, nameOf } = componentSchemas(sources);
  const paths: Record<string, JsonObject> = {};
  const operationIds = new Set<string>();
  for (const route of sources.routes) {
    if (operationIds.has(route.operationId)) throw new Error(`operationId ${route.operationId} is used twice`);
    operationIds.add(route.operationId);
    const item = (paths[route.path] ??= {});
    if (item[route.method] !== undefined) throw new Error(`${route.method} ${route.path} is declared twice`);
    item[route.method] = operation(route, nameOf);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: HTTP_API_INFO.title,
      version: HTTP_API_INFO.version,
      description: [
        'Police forces submit domestic-abuse incidents; the hub applies information-governance rules and ' +
          'delivers signed, minimised notifications to GP practice, MARAC and local-authority inboxes; IG ' +
          'officers search the audit trail.',
        'Authentication: every `/v1` route needs `Authorization: Bearer <access token>` from `POST ' +
          "/oauth2/token` (client credentials with a private-key JWT client assertion). Each operation's " +
          '`x-roles` lists the client roles it allows; any other role gets 403.',
        'Errors: every error is RFC 9457 `application/problem+json` with a stable `code` (`type` is ' +
          `\`${PROBLEM_TYPE_BASE}<code>\`) and the \`requestId\`. Besides the problems each operation lists, ` +
          'any request can get 404 `not-found` (unknown path), 405 `method-not-allowed`, 408 `request-timeout`, ' +
          '414 `uri-too-long` (a path parameter over 100 characters), 431 `headers-too-large` (over 16 KiB) and ' +
          '400 `bad-request` (broken HTTP).',
        'Signed payloads: each inbox item carries a compact JWS (`jws`). Verify it with the keys of ' +
          '`GET /.well-known/jwks.json` (protected header typ `<kind>+jws`), then parse its payload with the ' +
          "`SignedPayload_<kind>` schema of the item's `kind`; each has synthetic examples.",
        'Generated from the zod contracts in `contracts/src` by `pnpm contracts:generate`; do not edit by hand.',
      ].join('\n\n'),
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'Local (`./hub start`)' }],
    tags: Object.entries(HTTP_TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        [SESSION_SCHEME]: {
          type: 'apiKey',
          in: 'cookie',
          name: 'hub_console',
          description:
            "A person's IG console session (POST /v1/console/session or the OpenID Connect sign-in): an opaque, " +
            'HttpOnly, SameSite=Strict cookie, `__Host-hub_console` when served over TLS. A POST made with it also ' +
            "needs the session's csrfToken in the x-csrf-token header. Only routes listing it admit it.",
        },
        [SECURITY_SCHEME]: {
          type: 'oauth2',
          description:
            'OAuth 2.0 client credentials (RFC 6749 §4.4) where the client authenticates with a private-key JWT ' +
            'client assertion (RFC 7523, `private_key_jwt`), no client secret: the client signs a JWT (RS512 or ' +
            'ES256; iss = sub = client id, aud = the token URL, unique jti, exp at most 5 minutes ahead) with a ' +
            'key it registered and posts it to the token URL. The access token (a JWS, typ at+jwt, 5 minutes) is ' +
            "sent as a bearer token. Roles are not OAuth scopes: the token carries the client's one role, and " +
            'each operation lists the roles it allows in `x-roles`.',
          flows: {
            clientCredentials: {
              tokenUrl: '/oauth2/token',
              scopes: {},
              'x-token-endpoint-auth-method': 'private_key_jwt',
              'x-token-endpoint-auth-signing-alg-values-supported': ['RS512', 'ES256'],
            },
          },
        },
      },
      parameters: {
        RequestId: {
          name: 'x-request-id',
          in: 'header',
          required: false,
          description:
            'Your id for this request, a UUID; kept if it is one, otherwise the hub makes one (anything else is ' +
            'dropped unread, so never put a case reference or an NHS number here).',
          schema: {
            type: 'string',
            pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
          },
        },
        Traceparent: {
          name: 'traceparent',
          in: 'header',
          required: false,
          description: 'W3C trace context; the trace id is carried through every step the request causes.',
          schema: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
        },
      },
      headers: {
        RequestId: {
          description: 'The request id (also `requestId` in every problem).',
          schema: { type: 'string' },
        },
        WwwAuthenticate: {
          description:
            'Bearer realm="safeguarding-hub", with error="invalid_request", "invalid_token" or ' +
            '"insufficient_scope" when a token was sent (RFC 6750 §3).',
          schema: { type: 'string' },
        },
      },
    },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// AsyncAPI 3.0
// -----------------------------------------------------------------------------------------------------------------

function kafkaChannelBinding(topic: TopicSpec, name: string): JsonObject {
  return {
    kafka: {
      topic: name,
      partitions: topic.partitions,
      // The production profile's; the local one (one broker) is in x-durability.
      replicas: topic.durability.production.replicationFactor,
      topicConfiguration: { 'cleanup.policy': [topic.cleanupPolicy], 'retention.ms': topic.retentionMs },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  };
}

/** Replication factor and min.insync.replicas per durability profile (`KAFKA_DURABILITY`), as provisioned. */
function durabilityOf(topic: TopicSpec): JsonObject {
  return Object.fromEntries(
    DURABILITY_PROFILES.map((profile) => {
      const { replicationFactor, minInsyncReplicas } = topic.durability[profile];
      return [profile, { 'replication.factor': replicationFactor, 'min.insync.replicas': minInsyncReplicas }];
    }),
  );
}

function keyOf(topic: TopicSpec): string {
  if (topic.key === undefined || topic.key.trim() === '') {
    throw new Error(`topic ${topic.name} does not say what its message key is: add \`key\` to its defineTopic`);
  }
  return topic.key;
}

function buildAsyncApi(sources: DocumentSources): JsonObject {
  const { topics } = sources;
  const channels: JsonObject = {};
  const messages: JsonObject = {};
  const schemas: JsonObject = {
    HubMessageHeaders: {
      type: 'object',
      description:
        'Headers `@hub/kafka` writes on every message, plus at most ' +
        `${KAFKA_FACTS.maxCallerHeaders} headers of the publisher's own (lower-case names, values at most ` +
        `${KAFKA_FACTS.maxHeaderValueBytes} bytes; traceparent, content-type, schema and dlq-* are reserved).`,
      properties: {
        traceparent: {
          type: 'string',
          pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
          description:
            'W3C trace-context: the span that published the record, parent of the span of whatever handles it; ' +
            'the trace runs from the HTTP request across every hop.',
        },
        'content-type': { type: 'string', const: 'application/json' },
        schema: { type: 'string', description: 'The logical topic name whose contract the value satisfies.' },
      },
      required: ['traceparent', 'content-type', 'schema'],
      additionalProperties: { type: 'string' },
    },
    DeadLetterHeaders: {
      type: 'object',
      description:
        'All headers of the original message, unchanged, plus the dead-letter headers (a message dead-lettered ' +
        'twice carries only the latest dlq-* headers).',
      properties: {
        'dlq-reason': {
          type: 'string',
          enum: [...KAFKA_FACTS.dlqReasons],
          description: 'Why: the @hub/errors message-processing code.',
        },
        'dlq-detail': {
          type: 'string',
          maxLength: KAFKA_FACTS.maxDlqDetailChars,
          description:
            'Compact JSON, never a value from the message. undecodable-message: {"cause":"not-utf8"|"not-json"|' +
            '"no-value"|"key-not-utf8"}; contract-violation: {"issues":[{"path":"<JSON pointer>","code":"<zod ' +
            'code>"}],"omitted":n}; handler-failed: {"error":{"name":"...","code":"..."},"attempts":n}.',
        },
        'dlq-original-topic': {
          type: 'string',
          description: 'The physical topic name (namespace included) the message was read from.',
        },
        'dlq-original-partition': { type: 'string', pattern: '^\\d+$', description: 'Its partition.' },
        'dlq-original-offset': { type: 'string', pattern: '^\\d+$', description: 'Its offset.' },
        'dlq-failed-at': {
          type: 'string',
          format: 'date-time',
          description: 'When the consumer gave up (ISO 8601, UTC).',
        },
        'dlq-consumer-group': {
          type: 'string',
          description: 'The physical consumer group id of the consumer that gave up.',
        },
      },
      required: [
        'dlq-reason',
        'dlq-detail',
        'dlq-original-topic',
        'dlq-original-partition',
        'dlq-original-offset',
        'dlq-failed-at',
        'dlq-consumer-group',
      ],
      additionalProperties: { type: 'string' },
    },
    DeadLetterValue: {
      description:
        "The original message value's bytes, unchanged. For handler-failed they satisfy the topic's contract; " +
        'for contract-violation they do not; for undecodable-message they may not be UTF-8 or JSON at all.',
    },
  };

  for (const spec of sources.signedPayloads) {
    schemas[signedPayloadComponentName(spec)] = signedPayloadSchema(spec, 'draft-07');
  }
  // The topic that carries signed notifications points to the payloads its `jws` may hold.
  const carriesJws = (topic: TopicSpec) => sources.signedPayloads.length > 0 && topic.schema === issuedNotification;
  if (sources.signedPayloads.length > 0 && !topics.some(carriesJws)) {
    throw new Error('no topic carries issued notifications: the signed payloads would be unreachable');
  }

  for (const topic of topics) {
    const key = keyOf(topic);
    const dlq = deadLetterTopicName(topic.name);
    schemas[topic.name] = messageSchema(topic, 'draft-07');
    messages[topic.name] = {
      name: topic.name,
      title: topic.name,
      summary: topic.description,
      contentType: 'application/json',
      headers: { $ref: '#/components/schemas/HubMessageHeaders' },
      payload: { $ref: `#/components/schemas/${topic.name}` },
      bindings: {
        kafka: {
          key: { type: 'string', minLength: 1, description: `${key} UTF-8, at most ${KAFKA_FACTS.maxKeyBytes} bytes.` },
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
      ...(carriesJws(topic)
        ? {
            description: jwsDescription(sources.signedPayloads),
            'x-signed-payloads': signedPayloadLinks(sources.signedPayloads, '#/components/schemas/'),
          }
        : {}),
    };
    messages[dlq] = {
      name: dlq,
      title: dlq,
      summary: `A message of ${topic.name} that could not be processed, with why.`,
      contentType: 'application/octet-stream',
      headers: { $ref: '#/components/schemas/DeadLetterHeaders' },
      payload: { $ref: '#/components/schemas/DeadLetterValue' },
      bindings: {
        kafka: {
          key: { type: 'string', description: `The original key, unchanged: ${key}` },
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    channels[topic.name] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description}\n\nKey: ${key} Retention: ${retentionText(topic.retentionMs)}.`,
      messages: { [topic.name]: { $ref: `#/components/messages/${topic.name}` } },
      bindings: kafkaChannelBinding(topic, topic.name),
      'x-retention': retentionText(topic.retentionMs),
      'x-durability': durabilityOf(topic),
      'x-dead-letter-topic': dlq,
    };
    channels[dlq] = {
      address: dlq,
      title: dlq,
      description:
        `Dead letters of ${topic.name}: messages a consumer could not process (contract violation, undecodable, ` +
        'or a handler that kept failing), with the original key, value and headers unchanged, plus dlq-* ' +
        'headers saying why. Same partitions, retention and cleanup policy as the topic.',
      messages: { [dlq]: { $ref: `#/components/messages/${dlq}` } },
      bindings: kafkaChannelBinding(topic, dlq),
      'x-retention': retentionText(topic.retentionMs),
      'x-durability': durabilityOf(topic),
      'x-dead-letter-of': topic.name,
    };
  }

  const { operations, tags } = buildOperations(
    sources.steps,
    topics,
    new Set(sources.routes.map((route) => route.operationId)),
  );

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Safeguarding information-sharing hub events',
      version: HTTP_API_INFO.version,
      description: [
        'The Kafka topics of the hub: Kafka is the record. Every message is JSON validated against its ' +
          "topic's zod contract on publish and on consume; objects refuse unknown fields. A message that " +
          "cannot be processed goes to the topic's `.dlq` twin with the reason in dlq-* headers.",
        'Topic names are logical: a deployment may prefix every topic, dead-letter topic and consumer group ' +
          'with a namespace. Readers use read_committed; outputs and their audit events leave in one ' +
          'transaction.',
        'Operations say who sends and who receives on each channel: one per step of `contracts/src/steps.ts` and ' +
          'topic (`<step>.receive.<topic>`, `<step>.send.<topic>`), tagged with the service, with the consumer ' +
          'group (`x-consumer-group` and the Kafka binding `groupId`), the transactional id ' +
          '(`x-transactional-id`) and, for HTTP requests, the operationIds they serve (`x-http-operations`).',
        'Payload schemas are the AsyncAPI schema format (JSON Schema draft-07). The same contracts as ' +
          'standalone JSON Schema draft 2020-12 are in `json-schema/<topic>.json` beside this file, and the ' +
          'payloads of the signed notifications (`SignedPayload_<kind>`) in `json-schema/signed-payloads/<kind>.json`.',
        'Generated from the zod contracts in `contracts/src` by `pnpm contracts:generate`; do not edit by hand.',
      ].join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The local broker (`./hub infra up`).',
      },
    },
    channels,
    operations,
    components: { schemas, messages, tags },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Files
// -----------------------------------------------------------------------------------------------------------------

function fileText(document: JsonObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Every generated document, and the exact text of each file under `contracts/generated/`. Pure. */
export function buildDocuments(sources: DocumentSources = HUB_DOCUMENT_SOURCES): GeneratedDocuments {
  const jsonSchemas: Record<string, JsonObject> = {};
  for (const topic of sources.topics) {
    if (jsonSchemas[topic.name] !== undefined) throw new Error(`topic ${topic.name} is declared twice`);
    jsonSchemas[topic.name] = topicJsonSchema(topic);
  }
  const signedPayloadSchemas: Record<string, JsonObject> = {};
  for (const spec of sources.signedPayloads) {
    if (signedPayloadSchemas[spec.kind] !== undefined) throw new Error(`signed payload ${spec.kind} is declared twice`);
    signedPayloadSchemas[spec.kind] = signedPayloadJsonSchema(spec);
  }
  const openapi = buildOpenApi(sources);
  const asyncapi = buildAsyncApi(sources);
  const files: Record<string, string> = {
    'asyncapi.json': fileText(asyncapi),
    'openapi.json': fileText(openapi),
  };
  for (const [name, schema] of Object.entries(sortedKeys(jsonSchemas))) {
    files[`json-schema/${name}.json`] = fileText(schema);
  }
  for (const [kind, schema] of Object.entries(sortedKeys(signedPayloadSchemas))) {
    files[`json-schema/signed-payloads/${kind}.json`] = fileText(schema);
  }
  return {
    openapi,
    asyncapi,
    jsonSchemas: sortedKeys(jsonSchemas),
    signedPayloadSchemas: sortedKeys(signedPayloadSchemas),
    files,
  };
}

export const GENERATED_DIR = fileURLToPath(new URL('../generated/', import.meta.url));

/** Writes the files and removes generated files that are no longer produced (e.g. a removed topic). */
export function writeDocuments(directory: string = GENERATED_DIR): { written: string[]; removed: string[] } {
  const { files } = buildDocuments();
  const removed: string[] = [];
  const schemaDir = join(directory, 'json-schema');
  mkdirSync(schemaDir, { recursive: true });
  for (const entry of readdirSync(schemaDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(directory, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (files[path] === undefined) {
      rmSync(join(directory, path));
      removed.push(path);
    }
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), text);
  }
  return { written: Object.keys(files), removed };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { written, removed } = writeDocuments();
  process.stdout.write(
    `contracts/generated: wrote ${written.length} files${removed.length > 0 ? `, removed ${removed.join(', ')}` : ''}\n`,
  );
}

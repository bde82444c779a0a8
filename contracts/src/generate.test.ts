import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
// The catalogue is the source of the HTTP problem codes; http-api.ts mirrors them so contracts stays dependency-free.
import { ERROR_CATALOGUE, PROBLEM_TYPE_BASE as CATALOGUE_TYPE_BASE } from '../../packages/errors/src/index.ts';
import { buildDocuments, GENERATED_DIR, HUB_DOCUMENT_SOURCES, refsIn, type Json, type JsonObject } from './generate.ts';
import {
  ALL_HTTP_ROUTES,
  principalsOf,
  HTTP_PROBLEMS,
  HTTP_ROUTES,
  HTTP_SCHEMAS,
  PROBLEM_TYPE_BASE,
  auditSearchQuery,
  inboxQuery,
  problemDetails,
  routePattern,
  tokenResponse,
} from './http-api.ts';
import { isValidNhsNumber } from './identifiers.ts';
import { NOTIFICATION_KINDS } from './inbox.ts';
import { ALL_SIGNED_PAYLOADS, SIGNED_PAYLOADS, signedPayload } from './signed-payloads.ts';
import { STEPS, type Step } from './steps.ts';
import { deadLetterTopicName, defineTopic, DAYS, type TopicSpec } from './topic.ts';
import { ALL_TOPICS, daIncidentReceivedTopic, serviceStarted } from './topics.ts';

const documents = buildDocuments();
const { openapi, asyncapi } = documents;

function object(value: Json | undefined, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} is not an object`);
  return value;
}

/** Resolves a local `$ref` (`#/a/b`) in `root`. */
function resolveRef(root: JsonObject, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = root;
  for (const raw of ref.slice(2).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    node = typeof node === 'object' && node !== null && !Array.isArray(node) ? node[token] : undefined;
  }
  return node;
}

/** Every JSON Schema object node (`type: 'object'`) below `schema`, with its location. */
function objectNodes(schema: Json, at = '#'): { at: string; node: JsonObject }[] {
  if (Array.isArray(schema)) return schema.flatMap((inner, index) => objectNodes(inner, `${at}/${index}`));
  if (typeof schema !== 'object' || schema === null) return [];
  const own = schema['type'] === 'object' ? [{ at, node: schema }] : [];
  return [...own, ...Object.entries(schema).flatMap(([key, inner]) => objectNodes(inner, `${at}/${key}`))];
}

/** Every JSON object inside a value, itself included. */
function objectsIn(value: Json): JsonObject[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (typeof value !== 'object' || value === null) return [];
  return [value, ...Object.values(value).flatMap(objectsIn)];
}

function text(value: Json | undefined, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where} is not a string`);
  return value;
}

/** Every string inside a JSON value. */
function stringsIn(value: Json): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  return typeof value === 'object' && value !== null ? Object.values(value).flatMap(stringsIn) : [];
}

function toJsonValue(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

describe('contracts/generated', () => {
  it('equals buildDocuments() exactly (drift check)', () => {
    const expected = Object.keys(documents.files).sort();
    const committed = filesUnder(GENERATED_DIR);
    const stale = [
      ...expected.filter((path) => !committed.includes(path)).map((path) => `${path} (missing)`),
      ...committed.filter((path) => !expected.includes(path)).map((path) => `${path} (no longer generated)`),
      ...expected
        .filter((path) => committed.includes(path))
        .filter((path) => readFileSync(join(GENERATED_DIR, path), 'utf8') !== documents.files[path])
        .map((path) => `${path} (differs)`),
    ];
    expect(stale, 'contracts/generated is out of date: run pnpm contracts:generate').toEqual([]);
  });

  it('is deterministic: 2-space JSON with a trailing newline, the same on every build', () => {
    expect(buildDocuments().files).toEqual(documents.files);
    for (const [path, text] of Object.entries(documents.files)) {
      expect(text, path).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    }
    expect(Object.keys(documents.files)).toEqual([
      'asyncapi.json',
      'openapi.json',
      ...ALL_TOPICS.map((topic) => `json-schema/${topic.name}.json`).sort(),
      ...[...NOTIFICATION_KINDS].sort().map((kind) => `json-schema/signed-payloads/${kind}.json`),
    ]);
  });
});

describe('OpenAPI document', () => {
  const paths = object(openapi['paths'], 'paths');
  const operation = (path: string, method: string) => object(object(paths[path], path)[method], `${method} ${path}`);

  it('is OpenAPI 3.1 with the oauth2 client-credentials scheme of the token endpoint', () => {
    expect(openapi['openapi']).toMatch(/^3\.1\.\d+$/);
    const schemes = object(object(openapi['components'], 'components')['securitySchemes'], 'securitySchemes');
    expect(schemes['hubOAuth']).toMatchObject({
      type: 'oauth2',
      flows: {
        clientCredentials: { tokenUrl: '/oauth2/token', scopes: {}, 'x-token-endpoint-auth-method': 'private_key_jwt' },
      },
    });
  });

  it('has every route of http-api.ts, with its roles, security, parameters and responses', () => {
    const operations = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(object(item, path)).map((method) => `${method} ${path}`),
    );
    expect(operations.sort()).toEqual(ALL_HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of ALL_HTTP_ROUTES) {
      const op = operation(route.path, route.method);
      expect(op['operationId']).toBe(route.operationId);
      expect(op['x-roles'], route.operationId).toEqual([...route.roles]);
      const schemes = principalsOf(route).map((principal) => (principal === 'client' ? 'hubOAuth' : 'consoleSession'));
      expect(op['security'], route.operationId).toEqual(
        route.roles.length > 0 ? schemes.map((scheme) => ({ [scheme]: [] })) : [],
      );
      const responses = object(op['responses'], route.operationId);
      const statuses = [
        ...Object.keys(route.responses),
        ...new Set(route.problems.map((problem) => String(problem.status))),
      ].sort();
      expect(Object.keys(responses).sort(), route.operationId).toEqual(statuses);
      for (const problem of route.problems) {
        const response = object(responses[String(problem.status)], `${route.operationId} ${problem.status}`);
        expect(response['x-problem-codes']).toContain(problem.code);
        expect(Object.keys(object(response['content'], 'content'))).toEqual(['application/problem+json']);
      }
    }
  });

  it('states the exact roles, statuses and schemas of the routes the services implement', () => {
    const submit = operation('/v1/domestic-abuse-incidents', 'post');
    expect(submit['x-roles']).toEqual(['police']);
    expect(Object.keys(object(submit['responses'], 'responses'))).toEqual([
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '500',
      '503',
    ]);
    expect(submit['requestBody']).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/DaIncidentSubmission' } } },
    });
    const token = operation('/oauth2/token', 'post');
    expect(token['security']).toEqual([]);
    expect(Object.keys(object(object(token['requestBody'], 'requestBody')['content'], 'content'))).toEqual([
      'application/x-www-form-urlencoded',
    ]);
    expect(object(token['responses'], 'responses')['401']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/OAuthProblem' } } },
      'x-problem-codes': ['unauthenticated'],
    });
    expect(operation('/v1/inboxes/{recipient}/notifications', 'get')['x-roles']).toEqual([
      'gp',
      'marac',
      'local-authority',
      'police',
    ]);
    expect(operation('/v1/audit/events', 'get')['x-roles']).toEqual(['ig-officer', 'ig-officer-national']);
    for (const path of ['/.well-known/jwks.json', '/health/live', '/health/ready']) {
      expect(operation(path, 'get')['x-roles'], path).toEqual([]);
    }
    const query = operation('/v1/audit/events', 'get')['parameters'];
    expect(Array.isArray(query) ? query.map((p) => object(p, 'parameter')['name'] ?? null) : []).toEqual([
      'receiptId',
      'incidentRef',
      'nhsNumber',
      'recipient',
      'actorClientId',
      'actorOrganisation',
      'action',
      'rule',
      'outcome',
      'from',
      'to',
      'order',
      'cursor',
      'limit',
      null,
      null,
    ]);
  });

  it('resolves every $ref inside the document', () => {
    const refs = refsIn(openapi);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((ref) => resolveRef(openapi, ref) === undefined)).toEqual([]);
  });

  it('names every HTTP_SCHEMAS entry as a component', () => {
    const schemas = object(object(openapi['components'], 'components')['schemas'], 'schemas');
    expect(Object.keys(schemas)).toEqual(
      [...Object.keys(HTTP_SCHEMAS), ...NOTIFICATION_KINDS.map((kind) => `SignedPayload_${kind}`)].sort(),
    );
  });

  it('refuses a route whose schema has no component name', () => {
    const route = { ...HTTP_ROUTES.getLiveness, responses: { 200: { description: 'x', schema: z.object({}) } } };
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, routes: [route] })).toThrow(
      'GET /health/live: the schema is not named in HTTP_SCHEMAS (http-api.ts)',
    );
  });
});

describe('AsyncAPI document', () => {
  const channels = object(asyncapi['channels'], 'channels');
  const components = object(asyncapi['components'], 'components');

  it('is AsyncAPI 3.0.0 and resolves every $ref inside the document', () => {
    expect(asyncapi['asyncapi']).toBe('3.0.0');
    expect(refsIn(asyncapi).filter((ref) => resolveRef(asyncapi, ref) === undefined)).toEqual([]);
  });

  it('has every topic and its .dlq twin as channels, with partitions, replicas, retention, cleanup and key', () => {
    expect(Object.keys(channels).sort()).toEqual(
      ALL_TOPICS.flatMap((topic) => [topic.name, deadLetterTopicName(topic.name)]).sort(),
    );
    for (const topic of ALL_TOPICS) {
      for (const name of [topic.name, deadLetterTopicName(topic.name)]) {
        const channel = object(channels[name], name);
        expect(channel['address']).toBe(name);
        expect(object(channel['bindings'], name)['kafka']).toEqual({
          topic: name,
          partitions: topic.partitions,
          replicas: 3,
          topicConfiguration: { 'cleanup.policy': [topic.cleanupPolicy], 'retention.ms': topic.retentionMs },
          bindingVersion: '0.5.0',
        });
        expect(channel['x-durability']).toEqual({
          local: { 'replication.factor': 1, 'min.insync.replicas': 1 },
          production: { 'replication.factor': 3, 'min.insync.replicas': 2 },
        });
      }
      const message = object(resolveRef(asyncapi, `#/components/messages/${topic.name}`), topic.name);
      expect(resolveRef(asyncapi, object(message['payload'], 'payload')['$ref'] as string)).toBeDefined();
      expect(JSON.stringify(message['bindings'])).toContain(JSON.stringify(topic.key).slice(1, -1));
    }
  });

  it('documents the dead-letter headers @hub/kafka writes', () => {
    const headers = object(object(components['schemas'], 'schemas')['DeadLetterHeaders'], 'DeadLetterHeaders');
    expect(headers['required']).toEqual([
      'dlq-reason',
      'dlq-detail',
      'dlq-original-topic',
      'dlq-original-partition',
      'dlq-original-offset',
      'dlq-failed-at',
      'dlq-consumer-group',
    ]);
    expect(object(object(headers['properties'], 'properties')['dlq-reason'], 'dlq-reason')['enum']).toEqual([
      'contract-violation',
      'undecodable-message',
      'handler-failed',
    ]);
  });

  it('refuses a topic that does not say what its key is', () => {
    const keyless = defineTopic({
      name: 'test.keyless.v1',
      description: 'test',
      schema: z.object({}).strict(),
      partitions: 1,
      retentionMs: DAYS,
      cleanupPolicy: 'delete',
    });
    expect(() => buildDocuments({ topics: [keyless], routes: [], schemas: {}, steps: {}, signedPayloads: [] })).toThrow(
      'topic test.keyless.v1 does not say what its message key is',
    );
  });
});

describe('generated JSON Schemas', () => {
  it('are draft 2020-12, one per topic', () => {
    expect(Object.keys(documents.jsonSchemas).sort()).toEqual(ALL_TOPICS.map((topic) => topic.name).sort());
    for (const topic of ALL_TOPICS) {
      expect(documents.jsonSchemas[topic.name]).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `https://safeguarding-hub.invalid/schemas/${topic.name}.json`,
        title: topic.name,
        type: 'object',
      });
    }
  });

  it('refuse unknown fields wherever the contract is strict: every topic object and the incident submission', () => {
    const strictRoots: [string, Json][] = [
      ...Object.entries(documents.jsonSchemas),
      ...ALL_TOPICS.map((topic): [string, Json] => [
        `asyncapi ${topic.name}`,
        resolveRef(asyncapi, `#/components/schemas/${topic.name}`) ?? null,
      ]),
      ['openapi DaIncidentSubmission', resolveRef(openapi, '#/components/schemas/DaIncidentSubmission') ?? null],
      ...Object.entries(documents.signedPayloadSchemas).map(([kind, schema]): [string, Json] => [
        `signed payload ${kind}`,
        schema,
      ]),
    ];
    for (const [name, schema] of strictRoots) {
      const nodes = objectNodes(schema);
      expect(nodes.length, name).toBeGreaterThan(0);
      expect(
        nodes.filter(({ node }) => node['additionalProperties'] !== false).map(({ at }) => `${name} ${at}`),
      ).toEqual([]);
    }
    // The check can fail: the token form ignores unknown parameters, and problems are open to extensions.
    expect(resolveRef(openapi, '#/components/schemas/TokenRequest')).not.toHaveProperty('additionalProperties');
    expect(resolveRef(openapi, '#/components/schemas/Problem')).toHaveProperty('additionalProperties', {});
  });

  it('describe what JSON Schema cannot check: the NHS number check digit, postcode normalising, cross-field rules', () => {
    const subject = resolveRef(
      documents.jsonSchemas[daIncidentReceivedTopic.name] ?? {},
      '#/properties/submission/properties/subjects/items/properties',
    );
    expect(JSON.stringify(object(subject, 'subject')['nhsNumber'])).toContain('modulus 11 check digit');
    expect(JSON.stringify(object(subject, 'subject')['postcode'])).toContain('Normalised to upper case');
    expect(
      resolveRef(documents.jsonSchemas[daIncidentReceivedTopic.name] ?? {}, '#/properties/submission/description'),
    ).toContain('reportedAt is not before occurredAt');
  });
});

describe('signed payloads', () => {
  const schemas = object(object(openapi['components'], 'components')['schemas'], 'schemas');
  const examples = ALL_SIGNED_PAYLOADS.flatMap((spec) => spec.examples.map((example) => ({ spec, example })));

  it('cover every inbox notification kind, in the inbox order', () => {
    expect(ALL_SIGNED_PAYLOADS.map((spec) => spec.kind)).toEqual([...NOTIFICATION_KINDS]);
  });

  it('have examples that parse with their zod schema, unchanged, and through the union by their kind', () => {
    expect(examples.length).toBeGreaterThanOrEqual(NOTIFICATION_KINDS.length);
    for (const { spec, example } of examples) {
      expect(spec.schema.parse(example.value), example.summary).toEqual(example.value);
      expect(signedPayload.parse(example.value).kind, example.summary).toBe(spec.kind);
    }
    // A GP notification for a victim, a perpetrator (no risk, no children) and a child.
    expect(
      SIGNED_PAYLOADS['da-gp-notification'].examples.map(({ value }) => [value.role, 'effectiveRisk' in value]),
    ).toEqual([
      ['victim', true],
      ['perpetrator', false],
      ['child', true],
    ]);
  });

  it('use only synthetic people: 999 NHS numbers, named as in infra/seed', () => {
    const seed = z
      .array(
        z.object({
          nhsNumber: z.string(),
          name: z.object({ given: z.string(), family: z.string() }),
          birthDate: z.string(),
        }),
      )
      .parse(JSON.parse(readFileSync(new URL('../../infra/seed/patients.json', import.meta.url), 'utf8')));
    const byNumber = new Map(seed.map((person) => [person.nhsNumber, person]));
    const numbers = JSON.stringify(examples.map(({ example }) => example.value)).match(/\b\d{10}\b/g) ?? [];
    expect(numbers.length).toBeGreaterThan(10);
    for (const number of numbers) {
      expect(number.startsWith('999') && isValidNhsNumber(number), number).toBe(true);
    }
    // Everyone named is a seed person, with the seed's name and birth date.
    const people = examples.flatMap(({ example }) => objectsIn(toJsonValue(example.value)));
    const named = people.filter((node) => typeof node['nhsNumber'] === 'string' && node['name'] !== undefined);
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const person of named) {
      const seedPerson = byNumber.get(text(person['nhsNumber'], 'nhsNumber'));
      expect(seedPerson, text(person['nhsNumber'], 'nhsNumber')).toBeDefined();
      expect(person['name']).toEqual(seedPerson?.name);
      if (person['birthDate'] !== undefined) expect(person['birthDate']).toBe(seedPerson?.birthDate);
    }
  });

  it('quote the wording of the policy version they name (packages/policy/policies)', () => {
    const directory = new URL('../../packages/policy/policies/', import.meta.url);
    const policies = new Map(
      readdirSync(directory)
        .filter((file) => file.endsWith('.json'))
        .map((file): [string, string[]] => {
          const document = toJsonValue(JSON.parse(readFileSync(new URL(file, directory), 'utf8')));
          return [text(object(document, file)['version'], file), stringsIn(document)];
        }),
    );
    let quoted = 0;
    for (const { example } of examples) {
      const value = object(toJsonValue(example.value), example.summary);
      const wording = policies.get(text(value['policyVersion'], example.summary));
      expect(wording, example.summary).toBeDefined();
      for (const field of ['practiceRequest', 'request'] as const) {
        if (value[field] === undefined) continue;
        const withdraws = typeof value['withdraws'] === 'string' ? value['withdraws'] : '';
        const policyText = (wording ?? []).map((entry) => entry.replaceAll('{withdraws}', withdraws));
        expect(policyText, `${example.summary} ${field}`).toContain(value[field]);
        quoted += 1;
      }
    }
    expect(quoted).toBe(6);
  });

  it('are OpenAPI components with their examples, and the inbox item jws points to each', () => {
    const jws = object(resolveRef(openapi, '#/components/schemas/InboxItem/properties/jws'), 'jws');
    const links = object(jws['x-signed-payloads'], 'x-signed-payloads');
    expect(Object.keys(links)).toEqual([...NOTIFICATION_KINDS]);
    for (const spec of ALL_SIGNED_PAYLOADS) {
      const component = object(schemas[`SignedPayload_${spec.kind}`], spec.kind);
      expect(links[spec.kind]).toEqual({ $ref: `#/components/schemas/SignedPayload_${spec.kind}` });
      expect(component['examples']).toEqual(spec.examples.map((example) => example.value));
      expect(component['x-jws-typ']).toBe(`${spec.kind}+jws`);
      expect(text(jws['description'], 'description')).toContain(`SignedPayload_${spec.kind}`);
    }
    // What JSON Schema cannot say is in the description.
    expect(text(object(schemas['SignedPayload_da-gp-notification'], 'gp')['description'], 'description')).toContain(
      'absent for a perpetrator',
    );
  });

  it('are standalone JSON Schemas, and the notifications.issued.v1 message points to each', () => {
    const message = object(resolveRef(asyncapi, '#/components/messages/notifications.issued.v1'), 'message');
    const links = object(message['x-signed-payloads'], 'x-signed-payloads');
    expect(Object.keys(links)).toEqual([...NOTIFICATION_KINDS]);
    for (const spec of ALL_SIGNED_PAYLOADS) {
      const linked = object(
        resolveRef(asyncapi, text(object(links[spec.kind], spec.kind)['$ref'], spec.kind)),
        spec.kind,
      );
      expect(linked['examples'], spec.kind).toEqual(spec.examples.map((example) => example.value));
      expect(documents.signedPayloadSchemas[spec.kind]).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `https://safeguarding-hub.invalid/schemas/signed-payloads/${spec.kind}.json`,
        type: 'object',
        additionalProperties: false,
      });
    }
    expect(resolveRef(asyncapi, '#/components/messages/audit.events.v1')).not.toHaveProperty('x-signed-payloads');
  });

  it('refuses an example that does not satisfy its schema, and a kind without an example', () => {
    const gp = SIGNED_PAYLOADS['da-gp-notification'];
    const leaky = { ...gp, examples: [{ summary: 'leaky', value: { ...gp.examples[0].value, circumstances: 'x' } }] };
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, signedPayloads: [leaky] })).toThrow(
      'the example "leaky" of signed payload da-gp-notification does not parse: /: Unrecognized key: "circumstances"',
    );
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, signedPayloads: [{ ...gp, examples: [] }] })).toThrow(
      'signed payload da-gp-notification has no example',
    );
  });
});

describe('AsyncAPI operations', () => {
  const operations = object(asyncapi['operations'], 'operations');
  const channels = object(asyncapi['channels'], 'channels');
  const entries = Object.entries(operations).map(([name, op]) => ({ name, op: object(op, name) }));
  const channelOf = (op: JsonObject) =>
    text(object(op['channel'], 'channel')['$ref'], 'channel').replace('#/channels/', '');
  const topic = (name: string): TopicSpec =>
    defineTopic({
      name,
      key: 'k',
      description: 'test',
      schema: z.object({}).strict(),
      partitions: 1,
      retentionMs: DAYS,
      cleanupPolicy: 'delete',
    });

  it('has a send on every channel but the dead letters of a topic no step reads', () => {
    const sent = new Set(entries.filter(({ op }) => op['action'] === 'send').map(({ op }) => channelOf(op)));
    expect(Object.keys(channels).filter((channel) => !sent.has(channel))).toEqual(['hub.service-started.v1.dlq']);
  });

  it('has the identity stage receiving incidents and sending identified incidents and audit events', () => {
    expect(entries.filter(({ op }) => op['x-step'] === 'identity').map(({ name }) => name)).toEqual([
      'identity.receive.da.incident-received.v1',
      'identity.send.audit.events.v1',
      'identity.send.da.incident-identified.v1',
      'identity.send.da.incident-received.v1.dlq',
    ]);
    expect(operations['identity.receive.da.incident-received.v1']).toMatchObject({
      action: 'receive',
      channel: { $ref: '#/channels/da.incident-received.v1' },
      messages: [{ $ref: '#/channels/da.incident-received.v1/messages/da.incident-received.v1' }],
      tags: [{ $ref: '#/components/tags/identity' }],
      bindings: { kafka: { groupId: { type: 'string', enum: ['identity'] }, bindingVersion: '0.5.0' } },
      'x-service': 'identity',
      'x-consumer-group': 'identity',
      'x-transactional-id': 'identity',
    });
    for (const output of ['da.incident-identified.v1', 'audit.events.v1']) {
      expect(operations[`identity.send.${output}`]).toMatchObject({
        action: 'send',
        channel: { $ref: `#/channels/${output}` },
        'x-service': 'identity',
      });
    }
    expect(resolveRef(asyncapi, '#/components/tags/identity')).toEqual({
      name: 'identity',
      description: 'Matches each subject to a registered patient, or an exception with its reason.',
    });
  });

  it("has one operation per step input and output, and each request step's HTTP operations", () => {
    const expected = Object.entries(STEPS).flatMap(([name, step]: [string, Step]) => [
      ...('input' in step ? [`${name}.receive.${step.input.name}`, `${name}.send.${step.input.name}.dlq`] : []),
      ...('outputs' in step ? step.outputs.map((output) => `${name}.send.${output.name}`) : []),
    ]);
    expect(Object.keys(operations).sort()).toEqual(expected.sort());
    const openapiIds = ALL_HTTP_ROUTES.map((route) => route.operationId);
    for (const [name, step] of Object.entries(STEPS) as [string, Step][]) {
      if (step.kind !== 'request') continue;
      for (const output of step.outputs) {
        expect(operations[`${name}.send.${output.name}`]).toMatchObject({ 'x-http-operations': [...step.operations] });
      }
      for (const id of step.operations) expect(openapiIds, name).toContain(id);
    }
  });

  it('refuses a step whose topic is not in topics, and a topic no step sends', () => {
    const stray = topic('test.stray.v1');
    const writer: Step = { kind: 'event', service: 'hub', description: 'x', outputs: [stray] };
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, steps: { ...STEPS, writer } })).toThrow(
      'step writer (hub) writes test.stray.v1, which is not in topics',
    );
    const reader: Step = {
      kind: 'projector',
      service: 'audit',
      description: 'x',
      groupId: 'g',
      input: stray,
      view: 'audit',
    };
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, steps: { ...STEPS, reader } })).toThrow(
      'step reader (audit) reads test.stray.v1, which is not in topics',
    );
    const { serviceStarted: _announce, ...silent } = STEPS;
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, steps: silent })).toThrow(
      `no step sends ${serviceStarted.name}: every topic needs a writer in steps.ts`,
    );
  });

  it('refuses two steps with one consumer group, and a request step serving an undeclared route', () => {
    const twin: Step = { ...STEPS.auditStore, groupId: STEPS.identity.groupId };
    expect(() => buildDocuments({ ...HUB_DOCUMENT_SOURCES, steps: { ...STEPS, twin } })).toThrow(
      'steps identity and twin both use the consumer group identity',
    );
    const [requestName, request] = Object.entries(STEPS as Record<string, Step>).find(
      (entry): entry is [string, Extract<Step, { kind: 'request' }>] => entry[1].kind === 'request',
    ) ?? ['', undefined];
    const served = request?.operations[0] ?? '';
    expect(served).not.toBe('');
    expect(() =>
      buildDocuments({ ...HUB_DOCUMENT_SOURCES, routes: ALL_HTTP_ROUTES.filter((r) => r.operationId !== served) }),
    ).toThrow(`step ${requestName} (${request?.service ?? ''}) serves ${served}, which no route declares`);
  });
});

describe('http-api.ts', () => {
  it('mirrors the @hub/errors catalogue: every HTTP code with its status and title', () => {
    const http = Object.entries(ERROR_CATALOGUE)
      .filter(([, entry]) => entry.status !== 0)
      .map(([code, entry]) => [code, { status: entry.status, title: entry.title }]);
    expect(Object.entries(HTTP_PROBLEMS)).toEqual(http);
    expect(PROBLEM_TYPE_BASE).toBe(CATALOGUE_TYPE_BASE);
  });

  it('lists each problem of a route once, with the status of its code', () => {
    for (const route of ALL_HTTP_ROUTES) {
      const keys = route.problems.map((problem) => `${problem.status} ${problem.code}`);
      expect(new Set(keys).size, route.operationId).toBe(keys.length);
      for (const problem of route.problems) expect(problem.status).toBe(HTTP_PROBLEMS[problem.code].status);
    }
  });

  it('parses query and path parameters as the routes receive them (strings)', () => {
    expect(inboxQuery.parse({})).toEqual({ limit: 20 });
    expect(inboxQuery.parse({ cursor: 'eyJzIjo0Mn0', limit: '100' })).toEqual({ cursor: 'eyJzIjo0Mn0', limit: 100 });
    expect(inboxQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(inboxQuery.safeParse({ limit: '1e1' }).success).toBe(false);
    expect(inboxQuery.safeParse({ page: '2' }).success).toBe(false);
    expect(auditSearchQuery.safeParse({ nhsNumber: '9990000018' }).success).toBe(true);
    expect(auditSearchQuery.safeParse({ nhsNumber: '9990000019' }).success).toBe(false);
    expect(auditSearchQuery.parse({ action: 'audit-searched', outcome: 'withhold' })).toMatchObject({
      order: 'oldest',
    });
    expect(auditSearchQuery.safeParse({ order: 'sideways' }).success).toBe(false);
    expect(auditSearchQuery.safeParse({ incidentRef: 'ASP:INC 1' }).success).toBe(false);
  });

  it('accepts the documented problem and token shapes, and refuses extra token fields', () => {
    const problem = {
      type: 'https://safeguarding-hub.invalid/problems/validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'The request has 1 invalid field.',
      instance: '/v1/domestic-abuse-incidents',
      code: 'validation-failed',
      requestId: '7a1ada31-52b2-43bf-bded-187f0492e554',
      errors: [{ pointer: '/body/subjects/1/nhsNumber', detail: 'Invalid string: must match pattern /^\\d{10}$/' }],
      failedChecks: ['kafka'],
    };
    expect(problemDetails.parse(problem)).toEqual(problem);
    expect(problemDetails.safeParse({ ...problem, code: 'teapot' }).success).toBe(false);
    const token = { access_token: 'eyJ.x.y', token_type: 'Bearer', expires_in: 300 };
    expect(tokenResponse.parse(token)).toEqual(token);
    expect(tokenResponse.safeParse({ ...token, refresh_token: 'r' }).success).toBe(false);
  });

  it('turns OpenAPI paths into fastify route patterns', () => {
    expect(routePattern(HTTP_ROUTES.acknowledgeNotification.path)).toBe(
      '/v1/inboxes/:recipient/notifications/:id/acknowledgement',
    );
    expect(routePattern('/health/live')).toBe('/health/live');
  });
});

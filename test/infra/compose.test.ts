import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isObject, type Json } from './kustomize.ts';

// docker-compose.yml against the Compose Specification's JSON schema (vendored in compose-spec/, see its README):
// what `docker compose config` would refuse, checked without Docker.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const schema = JSON.parse(readFileSync(new URL('compose-spec/compose-spec.json', import.meta.url), 'utf8')) as object;
const compose = parse(readFileSync(`${ROOT}/docker-compose.yml`, 'utf8')) as Json;

// The schema names its meta-schema by https://json-schema.org/draft-07/schema, an address ajv knows draft-07 by only
// with http and a trailing #: the same meta-schema is registered under that name. Union types are the schema's own
// style (a boolean or an interpolated string); ajv's other strict checks stay on.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
const validate: ValidateFunction = ajv.compile(schema);

function schemaErrors(document: Json): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

function hubService(document: Json): Record<string, Json> {
  const hub = isObject(document) && isObject(document['services']) ? document['services']['hub'] : undefined;
  if (!isObject(hub)) throw new Error('docker-compose.yml has no hub service');
  return hub;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(schemaErrors(compose)).toEqual([]);
  });

  it("builds the hub from the Dockerfile's production stage and runs it locked down", () => {
    expect(hubService(compose)).toMatchObject({
      build: { context: '.', dockerfile: 'Dockerfile', target: 'runtime' },
      read_only: true,
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
    });
    // The image's own USER (node) applies: no override to root.
    expect(hubService(compose)).not.toHaveProperty('user');
  });

  it('pins every image by a tag other than latest', () => {
    const services = isObject(compose) && isObject(compose['services']) ? Object.entries(compose['services']) : [];
    const images = services.flatMap(([name, service]) =>
      isObject(service) && typeof service['image'] === 'string' ? [`${name} ${service['image']}`] : [],
    );
    expect(images.length).toBeGreaterThan(0);
    expect(images.filter((image) => !/:[\w][\w.-]*$/.test(image) || image.endsWith(':latest'))).toEqual([]);
  });

  it.each([
    [
      'a misspelt service key',
      (hub: Record<string, Json>) => (hub['enviroment'] = { A: 'b' }),
      /^\/services\/hub must NOT have additional properties$/,
    ],
    [
      'a list given as a string',
      (hub: Record<string, Json>) => (hub['cap_drop'] = 'ALL'),
      /^\/services\/hub\/cap_drop must be array$/,
    ],
    [
      'an unknown depends_on condition',
      (hub: Record<string, Json>) => (hub['depends_on'] = { kafka: { condition: 'service_happy' } }),
      /^\/services\/hub\/depends_on\/kafka\/condition must be equal to one of the allowed values$/,
    ],
  ])('fails with %s', (_case, mutate, message) => {
    const broken = structuredClone(compose);
    mutate(hubService(broken));
    expect(schemaErrors(broken)).toContainEqual(expect.stringMatching(message));
  });
});

import { z } from 'zod';
import { refsIn, toJson, type Json, type JsonObject } from './json.ts';
import { signedPayloadType, type SignedPayloadSpec } from './signed-payloads.ts';

/**
 * The JSON Schema of each signed payload kind, with its examples, for the three documents: OpenAPI and AsyncAPI
 * components (`SignedPayload_<kind>`) and the standalone `json-schema/signed-payloads/<kind>.json`.
 */

export function signedPayloadComponentName(spec: Pick<SignedPayloadSpec, 'kind'>): string {
  return `SignedPayload_${spec.kind}`;
}

/** Each example as the hub signs it (zod's parsed output); throws when one does not satisfy its schema. */
function exampleValues(spec: SignedPayloadSpec): Json[] {
  if (spec.examples.length === 0) throw new Error(`signed payload ${spec.kind} has no example`);
  return spec.examples.map((example) => {
    const parsed = spec.schema.safeParse(example.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `/${issue.path.join('/')}: ${issue.message}`).join('; ');
      throw new Error(`the example "${example.summary}" of signed payload ${spec.kind} does not parse: ${issues}`);
    }
    return toJson(parsed.data);
  });
}

/**
 * The payload's schema, self-contained, with a description saying how it arrives (the JWS `typ`) and listing the
 * examples, and the examples themselves. `io: 'output'`: what the hub signs.
 */
export function signedPayloadSchema(spec: SignedPayloadSpec, target: 'draft-2020-12' | 'draft-07'): JsonObject {
  const values = exampleValues(spec);
  const { description, ...schema } = toJson(
    z.toJSONSchema(spec.schema, { target, io: 'output', unrepresentable: 'throw' }),
  );
  const refs = refsIn(schema);
  if (refs.length > 0)
    throw new Error(`the schema of signed payload ${spec.kind} is not self-contained (${refs.join(', ')})`);
  delete schema['$schema'];
  const examples = spec.examples.map((example, index) => `${index + 1}. ${example.summary}`).join('\n');
  return {
    title: signedPayloadComponentName(spec),
    description: [
      spec.summary,
      `The payload of a notification of kind \`${spec.kind}\`: a compact JWS with protected header typ ` +
        `\`${signedPayloadType(spec.kind)}\`, alg ES256 or RS512 and the kid of a key in ` +
        '`/.well-known/jwks.json`. Verify the signature before parsing; the payload `kind` equals the inbox ' +
        "item's.",
      ...(typeof description === 'string' ? [description] : []),
      `Examples (synthetic data):\n${examples}`,
    ].join('\n\n'),
    'x-jws-typ': signedPayloadType(spec.kind),
    ...schema,
    examples: values,
  };
}

/** `x-signed-payloads`: each kind -> its payload schema, for a `jws` field or a message. */
export function signedPayloadLinks(specs: readonly SignedPayloadSpec[], base: string): JsonObject {
  return Object.fromEntries(specs.map((spec) => [spec.kind, { $ref: `${base}${signedPayloadComponentName(spec)}` }]));
}

export function jwsDescription(specs: readonly SignedPayloadSpec[]): string {
  return (
    'The compact JWS the hub signed over the minimised payload; verify it with `/.well-known/jwks.json`. Its ' +
    `payload is the schema of the notification's kind (\`x-signed-payloads\`): ` +
    specs.map((spec) => `\`${spec.kind}\` ${signedPayloadComponentName(spec)}`).join(', ') +
    '.'
  );
}

/**
 * Prints an access token for a demo client, the way a real client gets one: it signs a JWT assertion with its own
 * private key (iss = sub = client id, aud = token URL, unique jti, 5-minute expiry, ES256, its kid) and exchanges it
 * at the hub's token endpoint. Usage: `./hub token <clientId> [hub url]` (`--help` for more).
 */
import { randomUUID, sign, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { localAddresses, readSettings } from '@hub/infra-local/settings';
import { DEMO_CLIENTS } from './clients.ts';
import { DEMO_FILES } from './paths.ts';

const local = localAddresses(readSettings());
const HELP = `usage: ./hub token <clientId> [hub url]

Prints an access token for a demo client (valid 300 s unless the hub sets HUB_ACCESS_TOKEN_LIFETIME_SECONDS): signs a
client assertion with the client's key from ${DEMO_FILES.dir} and exchanges it at <hub url>/oauth2/token.

  clientId  ${DEMO_CLIENTS.map((c) => c.clientId).join(', ')}
  hub url   default ${local.hubUrl} (LOCAL_HUB_PORT); the assertion's aud, <hub url>/oauth2/token,
            must equal the hub's HUB_TOKEN_URL, which ./hub start sets from the same variable
`;

const [clientId, hubUrl] = process.argv.slice(2);
if (clientId === '--help' || clientId === '-h') {
  process.stdout.write(HELP);
  process.exit(0);
}
if (clientId === undefined || !DEMO_CLIENTS.some((client) => client.clientId === clientId)) {
  process.stderr.write(HELP);
  process.exit(2);
}
const jwk = JSON.parse(readFileSync(DEMO_FILES.clientKey(clientId), 'utf8')) as Record<string, string>;
// The assertion's aud must equal the hub's HUB_TOKEN_URL exactly: both come from infra/local's localAddresses.
const tokenUrl = hubUrl === undefined ? local.tokenUrl : `${hubUrl}/oauth2/token`;
const now = Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const input = `${b64({ alg: 'ES256', kid: jwk['kid'], typ: 'JWT' })}.${b64({
  iss: clientId,
  sub: clientId,
  aud: tokenUrl,
  jti: randomUUID(),
  iat: now,
  exp: now + 300,
})}`;
const key = createPrivateKey({ key: jwk, format: 'jwk' });
const assertion = `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
const response = await fetch(tokenUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }),
});
const body = (await response.json()) as { access_token?: string };
if (response.status !== 200 || body.access_token === undefined) {
  process.stderr.write(`token refused (${response.status}): ${JSON.stringify(body)}\n`);
  process.exit(1);
}
process.stdout.write(`${body.access_token}\n`);

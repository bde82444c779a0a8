/**
 * Verifies notifications against the hub's published JWKS and prints their payloads, as a GP system would before
 * filing them. Input (argument or stdin): one compact JWS, or a whole inbox page as returned by
 * `GET /v1/inboxes/{recipient}/notifications` (every item is verified).
 * Usage: `curl ... | ./hub verify` or `./hub verify <jws> [hub url]` (`--help` for more).
 */
import { readFileSync } from 'node:fs';
import { localAddresses, readSettings } from '@hub/infra-local/settings';
import { verify, type PublicJwks } from '@hub/signing';

const [argument, hubUrl = localAddresses(readSettings()).hubUrl] = process.argv.slice(2);
if (argument === '--help' || argument === '-h') {
  process.stdout.write(`usage: <inbox page or JWS> | ./hub verify      or      ./hub verify <jws> [hub url]

Verifies one compact JWS, or every item of an inbox page (GET /v1/inboxes/{recipient}/notifications), against
<hub url>/.well-known/jwks.json and prints each payload with the key that signed it.

  hub url   default ${hubUrl} (LOCAL_HUB_PORT)
`);
  process.exit(0);
}
const input = (argument ?? readFileSync(0, 'utf8')).trim();
const jwsList = input.startsWith('{')
  ? (JSON.parse(input) as { items: { id: string; jws: string }[] }).items.map((item) => item.jws)
  : [input];
const jwks = (await (await fetch(`${hubUrl}/.well-known/jwks.json`)).json()) as PublicJwks;
for (const jws of jwsList) {
  const verified = await verify(jws, jwks);
  process.stdout.write(
    `${JSON.stringify({ signedBy: verified.header.kid, typ: verified.header.typ, payload: verified.payload }, null, 2)}\n`,
  );
}

/**
 * Verifies notifications against the hub's published JWKS and prints their payloads, as a GP system would before
 * filing them. Input (argument or stdin): one compact JWS, or a whole inbox page as returned by
 * `GET /v1/inboxes/{recipient}/notifications` (every item is verified).
 * Usage: `curl ... | ./hub verify` or `./hub verify <jws> [hub url]`.
 */
import { readFileSync } from 'node:fs';
import { verify, type PublicJwks } from '@hub/signing';
import { DEFAULT_HUB_URL } from './paths.ts';

const [argument, hubUrl = DEFAULT_HUB_URL] = process.argv.slice(2);
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

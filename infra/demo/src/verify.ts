/**
 * Verifies a notification's compact JWS against the hub's published JWKS and prints the payload, as a GP system
 * would before filing it. Usage: `node infra/demo/src/verify.ts <jws> [hub url]` (or the JWS on stdin).
 */
import { readFileSync } from 'node:fs';
import { verify, type PublicJwks } from '@hub/signing';
import { DEFAULT_HUB_URL } from './paths.ts';

const [argument, hubUrl = DEFAULT_HUB_URL] = process.argv.slice(2);
const jws = (argument ?? readFileSync(0, 'utf8')).trim();
const jwks = (await (await fetch(`${hubUrl}/.well-known/jwks.json`)).json()) as PublicJwks;
const verified = await verify(jws, jwks);
process.stdout.write(`${JSON.stringify({ header: verified.header, payload: verified.payload }, null, 2)}\n`);

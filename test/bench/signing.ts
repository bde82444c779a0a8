/**
 * @hub/signing: ES256 compact JWS signed and verified per second, through the package's API (a key store's `sign`,
 * `verify` against its JWKS) and through the node-jose reference (`@hub/signing/testing`), in alternating rounds in
 * one process so that both see the same machine load. The payloads are the five notifications of one high-risk
 * incident (the signed-payload examples of `@hub/contracts`: victim, two children, perpetrator, MARAC referral),
 * each signed with its own `typ`, as the dispatcher signs them. Every token is checked: each verify case verifies
 * the tokens the other implementation signed, and both must produce the same header and payload segments.
 *
 *   node test/bench/signing.ts [--sign-ops=2000] [--sign-rounds=5] [--sign-timeout-s=120]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNED_PAYLOADS, signedPayloadType, type NotificationKind } from '@hub/contracts';
import { createKeyStore, generateSigningKey, verify } from '@hub/signing';
import { createNodeJoseSigner, verifyWithNodeJose } from '@hub/signing/testing';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  summarize,
  timedConcurrently,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface SigningBenchOptions {
  readonly ops: number;
  readonly rounds: number;
  readonly timeoutMs: number;
}

export function signingOptions(argv: readonly string[]): SigningBenchOptions {
  return {
    ops: intOption(argv, 'sign-ops', 'BENCH_SIGN_OPS', 2_000),
    rounds: intOption(argv, 'sign-rounds', 'BENCH_SIGN_ROUNDS', 5),
    timeoutMs: intOption(argv, 'sign-timeout-s', 'BENCH_SIGN_TIMEOUT_S', 120) * 1000,
  };
}

const WARM_UP = 200;

interface Notification {
  readonly payload: Readonly<Record<string, unknown>> & { readonly notificationId: string };
  readonly typ: string;
}

function example(kind: NotificationKind, index: number): Notification {
  const value = SIGNED_PAYLOADS[kind].examples[index]?.value;
  if (value === undefined || typeof value['notificationId'] !== 'string') {
    throw new Error(`signing: no example ${index} of ${kind} with a notificationId`);
  }
  return { payload: value, typ: signedPayloadType(kind) };
}

/** One incident's notifications as the dispatcher issues them: victim, two children, perpetrator, MARAC. */
const INCIDENT: readonly Notification[] = [
  example('da-gp-notification', 0),
  example('da-gp-notification', 2),
  example('da-gp-notification', 2),
  example('da-gp-notification', 1),
  example('da-marac-referral', 0),
];

type Sign = (notification: Notification) => Promise<string>;
type Verify = (jws: string) => Promise<Readonly<Record<string, unknown>>>;

interface Tally {
  readonly latencies: number[];
  elapsedMs: number;
  cpuMicros: number;
  readonly roundRates: number[];
}

const newTally = (): Tally => ({ latencies: [], elapsedMs: 0, cpuMicros: 0, roundRates: [] });

/** `ops` operations one at a time (each awaited, as a caller awaits it), wall clock and process CPU time added up. */
async function measure(tally: Tally, ops: number, op: (index: number) => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const result = await timedConcurrently(ops, 1, op);
  const used = process.cpuUsage(cpu);
  tally.latencies.push(...result.latencies);
  tally.elapsedMs += result.elapsedMs;
  tally.cpuMicros += used.user + used.system;
  tally.roundRates.push(perSecond(ops, result.elapsedMs));
}

const notificationAt = (index: number): Notification => INCIDENT[index % INCIDENT.length]!;

export async function signingBench(options: SigningBenchOptions): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-signing-'));
  try {
    const jwk = await generateSigningKey();
    const file = join(dir, 'keys.json');
    await writeFile(file, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
    const store = await createKeyStore({ file });
    const jwks = store.publicJwks();
    const nodeJoseSign = await createNodeJoseSigner(jwk);

    const implementations = [
      {
        name: '@hub/signing',
        sign: ((n) => store.sign(n.payload, { typ: n.typ })) satisfies Sign,
        verify: (async (jws) => (await verify(jws, jwks)).payload) satisfies Verify,
      },
      {
        name: 'node-jose reference',
        sign: ((n) => nodeJoseSign(n.payload, n.typ)) satisfies Sign,
        verify: (async (jws) => (await verifyWithNodeJose(jws, jwks)).payload) satisfies Verify,
      },
    ] as const;

    const sizes = INCIDENT.map((n) => Buffer.byteLength(JSON.stringify(n.payload)));
    progress(
      `signing: ES256, kid ${store.activeKid.slice(0, 8)}…, payloads ${sizes.join(', ')} bytes; ` +
        `${options.ops} operations per case, ${options.rounds} rounds`,
    );

    // Same header and payload segments from both (the signatures differ: ECDSA is randomised), and each verifies
    // what the other signed; checked before anything is timed.
    for (const notification of INCIDENT) {
      const [ours, reference] = await Promise.all(implementations.map((impl) => impl.sign(notification)));
      if (ours!.slice(0, ours!.lastIndexOf('.')) !== reference!.slice(0, reference!.lastIndexOf('.'))) {
        throw new Error(`signing: the two implementations sign different bytes for ${notification.typ}`);
      }
    }

    const signTallies = implementations.map(newTally);
    const verifyTallies = implementations.map(newTally);
    const signed: string[][] = implementations.map(() => new Array<string>(options.ops));
    const check = (payload: Readonly<Record<string, unknown>>, index: number): void => {
      if (payload['notificationId'] !== notificationAt(index).payload.notificationId) {
        throw new Error(`signing: token ${index} verified to the wrong payload`);
      }
    };

    const run = async (): Promise<void> => {
      for (const impl of implementations) {
        await timedConcurrently(WARM_UP, 1, async (i) => {
          check(await impl.verify(await impl.sign(notificationAt(i))), i);
        });
      }
      for (let round = 0; round < options.rounds; round += 1) {
        // Alternate which goes first, so a drift in machine load does not favour one.
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const which of order) {
          const impl = implementations[which]!;
          await measure(signTallies[which]!, options.ops, async (i) => {
            signed[which]![i] = await impl.sign(notificationAt(i));
          });
        }
        for (const which of order) {
          const impl = implementations[which]!;
          const tokens = signed[1 - which]!; // the other implementation's tokens
          await measure(verifyTallies[which]!, options.ops, async (i) => {
            check(await impl.verify(tokens[i]!), i);
          });
        }
        progress(`signing: round ${round + 1} of ${options.rounds} done`);
      }
    };
    const started = now();
    await withDeadline(run(), options.timeoutMs, 'signing');
    progress(`signing: ${Math.round((now() - started) / 1000)} s`);

    const row = (what: 'sign' | 'verify', name: string, tally: Tally): BenchRow => {
      const count = options.ops * options.rounds;
      const rates = tally.roundRates.map((rate) => Math.round(rate).toLocaleString('en-GB'));
      const cpuPerOp = tally.cpuMicros / count;
      return {
        bench: 'signing',
        case: `ES256 ${what}, ${name}, 1 in flight`,
        count,
        perSecond: perSecond(count, tally.elapsedMs),
        latency: summarize(tally.latencies),
        note: `CPU ${cpuPerOp.toFixed(0)} µs/op; rounds ${rates.join(', ')}/s`,
      };
    };
    return [
      ...implementations.map((impl, which) => row('sign', impl.name, signTallies[which]!)),
      ...implementations.map((impl, which) => row('verify', impl.name, verifyTallies[which]!)),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runSigningBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = signingOptions(argv);
  return withHardTimeout(options.timeoutMs + 30_000, 'signing', () => signingBench(options));
}

if (import.meta.main) await runStandalone(() => runSigningBench(process.argv.slice(2)));

import type { AuditLogVerification } from '@hub/contracts';
import { ApiError, cosignedCheckpoint, logVerification, SignedOutError, verifyLogNow } from '../api.ts';
import { h, replace, scrollTable, table, time } from '../dom.ts';
import { errorMessage } from '../errors.ts';
import type { Screen } from './screen.ts';

/**
 * Whether the audit log can be trusted: the hub's last full verification of it (every event against its tile, the
 * tree rebuilt, every checkpoint's signature and cosignatures checked, held to what was verified before), the latest
 * checkpoint a witness cosigned, and when. Red, in words as well as colour, when anything failed, is missing or
 * cannot be read; neither red nor green before the first verification has finished. "Verify now" starts a run.
 */
type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number | null };

async function settle<T>(call: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof SignedOutError) throw error;
    return { ok: false, status: error instanceof ApiError ? error.problem.status : null };
  }
}

type State = 'verified' | 'failed' | 'pending';

const POLL_MS = 1000;
const POLL_LIMIT_MS = 120_000;

export const renderIntegrity: Screen = async (main, context) => {
  const heading = h('h1', { tabindex: -1 }, 'Integrity of the audit log');
  const body = h('div', {});
  const verifyButton = h('button', { type: 'button', class: 'secondary' }, 'Verify the whole log now');
  const progress = h('p', { role: 'status' });
  replace(main, heading, body, h('div', { class: 'actions' }, verifyButton), progress);

  async function draw(): Promise<AuditLogVerification | null> {
    const [verification, note] = await Promise.all([settle(logVerification), settle(cosignedCheckpoint)]);
    if (!context.isCurrent()) return null;
    const problems = problemsOf(verification, note);
    const state: State =
      problems.length > 0
        ? 'failed'
        : verification.ok && verification.value.state === 'verified'
          ? 'verified'
          : 'pending';
    replace(
      body,
      statusPanel(state, problems),
      verification.ok ? verificationSection(verification.value) : null,
      checkpointSection(note),
    );
    return verification.ok ? verification.value : null;
  }

  verifyButton.addEventListener('click', () => {
    verifyButton.disabled = true;
    progress.textContent = 'Verifying the whole log…';
    void (async () => {
      try {
        await verifyLogNow();
        // A run may still be reported from before this one: wait until one has finished after we asked.
        const asked = Date.now();
        for (const deadline = asked + POLL_LIMIT_MS; Date.now() < deadline && context.isCurrent();) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          const last = await draw();
          if (last !== null && !last.running && last.at !== null && Date.parse(last.at) >= asked - 1000) break;
        }
        progress.textContent = 'Verification finished.';
      } catch (error) {
        replace(progress, errorMessage(error));
      } finally {
        verifyButton.disabled = false;
      }
    })();
  });

  await draw();
};

/** A reason the panel is red: words for the officer, and the verification's failure code when it named one. */
interface Problem {
  readonly text: string;
  readonly code?: string;
}

function problemsOf(verification: Answer<AuditLogVerification>, note: Answer<string>): Problem[] {
  const problems: Problem[] = [];
  const say = (text: string) => problems.push({ text });
  if (!verification.ok) say(`The last verification could not be read${statusOf(verification.status)}.`);
  else {
    const last = verification.value;
    if (last.state === 'failed') say('The last full verification failed.');
    for (const failure of last.failures) {
      const where = failure.leafIndex === undefined ? '' : ` (log entry #${failure.leafIndex})`;
      const text = `${failure.message}${where}`;
      // The same finding against two held checkpoints reads the same: once is enough.
      if (!problems.some((problem) => problem.text === text)) problems.push({ text, code: failure.code });
    }
    if (last.omitted > 0) say(`${last.omitted} more failures.`);
    if (last.state === 'verified' && (last.cosigned?.cosignatures.length ?? 0) === 0) {
      say('No witness cosignature was verified.');
    }
  }
  if (!note.ok) {
    say(
      note.status === 404
        ? 'No witness has cosigned a checkpoint.'
        : `The cosigned checkpoint could not be read${statusOf(note.status)}.`,
    );
  }
  return problems;
}

function statusOf(status: number | null): string {
  return status === null ? ': the hub did not answer' : ` (${status})`;
}

const HEADLINES: Readonly<Record<State, string>> = {
  verified: '✔ The audit log verifies',
  failed: '✘ The audit log does not verify',
  pending: '… The audit log has not been verified yet',
};

function statusPanel(state: State, problems: readonly Problem[]): HTMLElement {
  return h(
    'section',
    { class: `integrity-status ${state}`, 'aria-labelledby': 'integrity-result', 'data-state': state },
    h('h2', { id: 'integrity-result' }, HEADLINES[state]),
    state === 'failed'
      ? h(
          'ul',
          {},
          problems.map((problem) => h('li', { 'data-code': problem.code }, problem.text)),
        )
      : h(
          'p',
          {},
          state === 'verified'
            ? 'Every event matches the log, the tree matches every checkpoint, and the latest checkpoint is signed and cosigned.'
            : 'The first full verification has not finished. Verify now, or come back in a few minutes.',
        ),
  );
}

function verificationSection(last: AuditLogVerification): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'verification-heading' },
    h('h2', { id: 'verification-heading' }, 'Last full verification'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Finished'),
      h('dd', { id: 'verified-at' }, time(last.at)),
      h('dt', {}, 'Result'),
      h(
        'dd',
        {},
        h('strong', { class: `badge ${last.state === 'failed' ? 'withhold' : 'share'}` }, last.state.replace('-', ' ')),
      ),
      h('dt', {}, 'Entries checked'),
      h('dd', {}, last.treeSize === null ? '—' : last.treeSize.toLocaleString('en-GB')),
      h('dt', {}, 'Started by'),
      h('dd', {}, last.trigger === null ? '—' : last.trigger === 'demand' ? 'an officer' : 'the schedule'),
      h('dt', {}, 'Last passed'),
      h('dd', {}, time(last.lastVerifiedAt)),
      h('dt', {}, 'Runs every'),
      h('dd', {}, `${Math.round(last.intervalSeconds / 60)} minutes`),
    ),
    last.cosigned === null
      ? null
      : [
          h('h3', {}, 'Witness cosignatures verified'),
          last.cosigned.cosignatures.length === 0
            ? h('p', {}, 'None.')
            : scrollTable(
                'Witness cosignatures',
                table(
                  `Witnesses that cosigned the checkpoint of ${last.cosigned.size.toLocaleString('en-GB')} entries`,
                  ['Witness', 'Cosigned at'],
                  last.cosigned.cosignatures.map((cosignature) => [cosignature.witness, time(cosignature.at)]),
                ),
              ),
        ],
  );
}

/** The latest cosigned checkpoint as published: a C2SP signed note (origin, size, root hash, then signature lines). */
function checkpointSection(note: Answer<string>): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'checkpoint-heading' },
    h('h2', { id: 'checkpoint-heading' }, 'Latest cosigned checkpoint'),
  );
  if (!note.ok) {
    section.append(h('p', {}, note.status === 404 ? 'None yet.' : 'It could not be read.'));
    return section;
  }
  const [origin, size, rootHash] = note.value.split('\n');
  const witnesses = cosignatureLines(note.value);
  section.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Log'),
      h('dd', {}, origin ?? '—'),
      h('dt', {}, 'Entries'),
      h('dd', { id: 'checkpoint-size' }, size === undefined ? '—' : Number(size).toLocaleString('en-GB')),
      h('dt', {}, 'Root hash'),
      h('dd', { class: 'hash' }, rootHash ?? '—'),
      h('dt', {}, 'Cosigned by'),
      h(
        'dd',
        {},
        witnesses.length === 0
          ? 'nobody'
          : h(
              'ul',
              {},
              witnesses.map(({ name, at }) => h('li', {}, name, at === null ? null : [' at ', time(at)])),
            ),
      ),
    ),
    h('details', {}, h('summary', {}, 'The checkpoint as signed (C2SP signed note)'), h('pre', {}, note.value)),
  );
  return section;
}

/**
 * The witnesses' lines of a signed note (`— <name> <base64>`): a C2SP tlog-cosignature/v1 Ed25519 signature is key
 * id (4 bytes), time (8, seconds, big-endian) and signature (64), 76 bytes; the log's own is 68 and is left out.
 */
function cosignatureLines(note: string): { name: string; at: string | null }[] {
  const lines: { name: string; at: string | null }[] = [];
  for (const line of note.split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.from(atob(match[2]), (char) => char.charCodeAt(0));
    } catch {
      continue;
    }
    if (bytes.length !== 76) continue;
    const seconds = new DataView(bytes.buffer).getBigUint64(4);
    lines.push({ name: match[1], at: new Date(Number(seconds) * 1000).toISOString() });
  }
  return lines;
}

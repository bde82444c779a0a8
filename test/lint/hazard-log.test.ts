import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * docs/safety/hazard-log.md cannot rot: every test it names exists, under the title it gives; a hazard marked
 * Controlled has tests; a hazard without tests is Open, and the open list says exactly which are.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOG = readFileSync(`${ROOT}docs/safety/hazard-log.md`, 'utf8');

interface Hazard {
  readonly id: string;
  readonly title: string;
  readonly status: string | undefined;
  readonly cause: boolean;
  readonly tests: readonly { readonly file: string; readonly title: string }[];
}

/** `### H-NN Title` sections, each with its status, cause and `- test: \`file\` — "title"` lines. */
function hazards(): Hazard[] {
  const sections = LOG.split(/^### /m).slice(1);
  return sections.map((section) => {
    const [heading = ''] = section.split('\n', 1);
    const match = /^(H-\d{2}) (.+)$/.exec(heading);
    if (match === null) throw new Error(`a hazard heading must be "H-NN Title": ${heading}`);
    return {
      id: match[1]!,
      title: match[2]!,
      status: /^- \*\*Status:\*\* (\w+)$/m.exec(section)?.[1],
      cause: /^- \*\*Cause:\*\* \S/m.test(section),
      tests: [...section.matchAll(/^\s*- test: `([^`]+)` — "(.+)"$/gm)].map(([, file, title]) => ({
        file: file!,
        title: title!,
      })),
    };
  });
}

/** The open list at the top: its table's hazard ids. */
function listedOpen(): string[] {
  const table = LOG.split('## Open hazards')[1]?.split('## Hazards')[0] ?? '';
  return [...table.matchAll(/^\| (H-\d{2}) /gm)].map(([, id]) => id!);
}

/** Whether `file` has a test or describe block titled exactly `title` (as a quoted string literal). */
function hasTitle(file: string, title: string): boolean {
  const source = readFileSync(`${ROOT}${file}`, 'utf8').replaceAll("\\'", "'");
  return [`'${title}'`, `"${title}"`, `\`${title}\``].some((literal) => source.includes(literal));
}

describe('docs/safety/hazard-log.md', () => {
  const all = hazards();

  it('numbers its hazards H-01, H-02, ... in order, each with a cause and a status', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.map((hazard) => hazard.id)).toEqual(all.map((_, index) => `H-${String(index + 1).padStart(2, '0')}`));
    for (const hazard of all) {
      expect(hazard.cause, `${hazard.id} cause`).toBe(true);
      expect(['Controlled', 'Open'], `${hazard.id} status`).toContain(hazard.status);
    }
  });

  it('names only test files that exist, under titles they have', () => {
    const missing = all.flatMap((hazard) =>
      hazard.tests
        .filter((test) => !existsSync(`${ROOT}${test.file}`) || !hasTitle(test.file, test.title))
        .map((test) => `${hazard.id}: ${test.file} — "${test.title}"`),
    );
    expect(missing).toEqual([]);
    expect(all.flatMap((hazard) => hazard.tests).length).toBeGreaterThan(50);
  });

  it('marks a hazard Controlled only with tests, and lists every hazard without tests as Open', () => {
    for (const hazard of all) {
      if (hazard.status === 'Controlled') expect(hazard.tests.length, hazard.id).toBeGreaterThan(0);
      if (hazard.tests.length === 0) expect(hazard.status, hazard.id).toBe('Open');
    }
    const open = all.filter((hazard) => hazard.status === 'Open').map((hazard) => hazard.id);
    expect(listedOpen()).toEqual(open);
  });

  it('covers the hazards issue 12 names', () => {
    const titles = all.map((hazard) => hazard.title.toLowerCase()).join('\n');
    for (const named of [
      'wrong gp practice',
      "perpetrator's practice",
      'never read',
      'wrong child',
      'flag is missing in an emergency department',
      'withheld share',
      'view is lost',
      'audit trail is rewritten',
    ]) {
      expect(titles, named).toContain(named);
    }
  });
});

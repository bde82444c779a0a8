import { DIRECTORY_LIMITS } from './schema.ts';

/**
 * One thing wrong with the reference data: which file, which record (0-based index in the file's array), which
 * field, and what is wrong. Never the value: the files hold names, NHS numbers, birth dates and postcodes.
 */
export interface DirectoryProblem {
  /** The file's name (not its directory), or the source name for in-memory data. */
  readonly file: string;
  readonly index?: number;
  /** Path inside the record, e.g. `practices[1].ods`. */
  readonly field?: string;
  readonly problem: string;
}

export function formatProblem(problem: DirectoryProblem): string {
  const record = problem.index === undefined ? '' : `[${problem.index}]`;
  const field = problem.field === undefined ? '' : `.${problem.field}`;
  return `${problem.file}${record}${field}: ${problem.problem}`;
}

/** The reference data failed validation; every problem found is listed (up to DIRECTORY_LIMITS.reportedProblems). */
export class DirectoryLoadError extends Error {
  override readonly name = 'DirectoryLoadError';
  readonly problems: readonly DirectoryProblem[];
  /** All problems found, including any beyond those kept in `problems`. */
  readonly problemCount: number;

  constructor(problems: readonly DirectoryProblem[]) {
    const kept = problems.slice(0, DIRECTORY_LIMITS.reportedProblems);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = kept.map((p) => `  ${formatProblem(p)}`);
    if (problems.length > kept.length) lines.push(`  ... and ${problems.length - kept.length} more`);
    super([`Invalid directory reference data (${count}):`, ...lines].join('\n'));
    this.problems = Object.freeze(kept.map((p) => Object.freeze({ ...p })));
    this.problemCount = problems.length;
  }
}

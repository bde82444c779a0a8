import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, isErrorCode, isHttpErrorCode, problemTypeUri } from './index.ts';

interface ReadmeRow {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

/** Rows of the README's `## Codes` table: | `code` | status or — | title | when | */
function readmeRows(): ReadmeRow[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## Codes$/m)[1] ?? '';
  // Whitespace-tolerant: prettier pads the columns.
  return [...section.matchAll(/^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|/gm)].map((match) => ({
    code: match[1]!,
    status: match[2] === '—' ? 0 : Number(match[2]),
    title: match[3]!,
  }));
}

describe('README drift check', () => {
  const rows = readmeRows();

  it('documents every catalogue code, and only catalogue codes, once each', () => {
    const documented = rows.map((row) => row.code);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('documents the same status and title as the catalogue', () => {
    for (const row of rows) {
      expect(isErrorCode(row.code)).toBe(true);
      if (!isErrorCode(row.code)) continue;
      expect({ code: row.code, status: row.status, title: row.title }).toEqual({
        code: row.code,
        status: ERROR_CATALOGUE[row.code].status,
        title: ERROR_CATALOGUE[row.code].title,
      });
    }
  });
});

describe('ERROR_CATALOGUE', () => {
  it('has the required HTTP codes with their statuses', () => {
    const required = {
      'validation-failed': 400,
      'malformed-json': 400,
      'unsupported-media-type': 415,
      'payload-too-large': 413,
      unauthenticated: 401,
      forbidden: 403,
      'not-found': 404,
      'method-not-allowed': 405,
      conflict: 409,
      'too-many-requests': 429,
      'not-ready': 503,
      internal: 500,
    } as const;
    for (const [code, status] of Object.entries(required)) {
      expect(isErrorCode(code) && ERROR_CATALOGUE[code].status).toBe(status);
    }
  });

  it('marks message-processing codes as having no HTTP status', () => {
    for (const code of ['contract-violation', 'undecodable-message', 'handler-failed'] as const) {
      expect(ERROR_CATALOGUE[code].status).toBe(0);
      expect(isHttpErrorCode(code)).toBe(false);
    }
    expect(isHttpErrorCode('conflict')).toBe(true);
  });

  it('uses lowercase kebab-case codes and real 4xx/5xx statuses for HTTP codes', () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      const { status } = ERROR_CATALOGUE[code];
      expect(status === 0 || (status >= 400 && status <= 599)).toBe(true);
    }
  });

  it('builds a stable problem type URI per code', () => {
    expect(problemTypeUri('not-found')).toBe('https://safeguarding-hub.invalid/problems/not-found');
    expect(new URL(problemTypeUri('validation-failed')).pathname).toBe('/problems/validation-failed');
  });

  it('rejects strings that are not codes, including inherited property names', () => {
    expect(isErrorCode('teapot')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});

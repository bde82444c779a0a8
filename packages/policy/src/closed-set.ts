import { z } from 'zod';

/** An enum whose failure names the bad value and the allowed ones (policy text, never personal data). */
export function closedSet<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)} (known: ${values.join(', ')})`,
  });
}

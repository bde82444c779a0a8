import { ApiError, SignedOutError } from './api.ts';
import { h } from './dom.ts';

/**
 * An error as the officer reads it: the problem's title and detail, each field the hub pointed at, and the request
 * id to quote. Announced (role=alert). A signed-out error shows nothing: the sign-in screen says it.
 */
export function errorMessage(error: unknown): HTMLElement | null {
  if (error instanceof SignedOutError) return null;
  if (error instanceof ApiError) {
    const { problem } = error;
    return h(
      'div',
      { class: 'error-summary', role: 'alert', tabindex: -1 },
      h('h2', {}, problem.title),
      problem.detail === undefined ? null : h('p', {}, problem.detail),
      problem.errors === undefined || problem.errors.length === 0
        ? null
        : h(
            'ul',
            {},
            problem.errors.map((fieldError) => h('li', {}, `${fieldLabel(fieldError.pointer)}: ${fieldError.detail}`)),
          ),
      problem.requestId === undefined ? null : h('p', { class: 'hint' }, `Request id: ${problem.requestId}`),
    );
  }
  return h(
    'div',
    { class: 'error-summary', role: 'alert', tabindex: -1 },
    h('h2', {}, 'The console could not reach the hub'),
    h('p', {}, 'Check your connection and try again.'),
  );
}

/** `/nhsNumber` as `nhsNumber`. */
function fieldLabel(pointer: string): string {
  return pointer.replace(/^\//, '').replaceAll('/', '.') || 'request';
}

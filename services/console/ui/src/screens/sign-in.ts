import type { ConsoleSession } from '@hub/contracts';
import { ApiError, signIn, signInOptions } from '../api.ts';
import { CONTRACT, isSignInFailure, SIGN_IN_FAILURE_MESSAGES } from '../contract.ts';
import { field, h, replace } from '../dom.ts';
import { errorMessage } from '../errors.ts';

/**
 * Sign-in for people: a local account (the demo's) and, when the hub is configured for OpenID Connect (NHS CIS2
 * Authentication in production), a button that starts the provider's sign-in. Which of the two the hub offers comes
 * from the hub. `message` says why the officer is here again (idle timeout, sign-out).
 */
export async function renderSignIn(
  main: HTMLElement,
  options: { message: string | null; signedIn: (session: ConsoleSession) => void },
): Promise<void> {
  const heading = h('h1', { tabindex: -1 }, 'Sign in to the IG console');
  const notice =
    options.message === null ? null : h('div', { class: 'notice', role: 'status' }, h('p', {}, options.message));
  replace(main, heading, notice, h('p', {}, 'For information governance officers. Everything you do here is audited.'));
  let offered;
  try {
    offered = await signInOptions();
  } catch (error) {
    main.append(errorMessage(error) ?? '');
    return;
  }
  if (offered.oidc !== null) {
    main.append(
      h(
        'section',
        { 'aria-labelledby': 'oidc-heading' },
        h('h2', { id: 'oidc-heading' }, 'With your organisation'),
        h('a', { class: 'button', href: offered.oidc.start, id: 'oidc-sign-in' }, `Sign in with ${offered.oidc.name}`),
      ),
    );
  }
  if (offered.password) main.append(localForm(options.signedIn));
  if (options.message !== null) notice?.focus();
}

function localForm(signedIn: (session: ConsoleSession) => void): HTMLElement {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: CONTRACT.usernameChars,
    spellcheck: 'false',
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    maxlength: CONTRACT.passwordChars,
  });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'local-heading', class: 'narrow' },
    h('h2', { id: 'local-heading' }, 'With a console account'),
    errors,
    field('Username', username),
    field('Password', password),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.replaceChildren();
    if (username.value.trim() === '' || password.value === '') {
      replace(
        errors,
        h('div', { class: 'error-summary', role: 'alert' }, h('p', {}, 'Enter your username and password.')),
      );
      (username.value.trim() === '' ? username : password).focus();
      return;
    }
    submit.disabled = true;
    signIn(username.value.trim(), password.value).then(
      (session) => {
        password.value = '';
        signedIn(session);
      },
      (error: unknown) => {
        submit.disabled = false;
        password.value = '';
        const message = failureMessage(error) ?? errorMessage(error);
        replace(errors, message);
        message?.focus();
      },
    );
  });
  return form;
}

/** A refused sign-in says which of the contract's reasons, in words (never whether the username exists). */
function failureMessage(error: unknown): HTMLElement | null {
  if (!(error instanceof ApiError)) return null;
  const code = error.problem.reason ?? error.problem.code;
  if (!isSignInFailure(code)) return null;
  return h('div', { class: 'error-summary', role: 'alert', tabindex: -1 }, h('p', {}, SIGN_IN_FAILURE_MESSAGES[code]));
}

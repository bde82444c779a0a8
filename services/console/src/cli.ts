/**
 * `./hub console add-user`: adds (or replaces, by id) a person in the console's accounts file. The password is read
 * from standard input (typed without echo at a terminal, or piped), never from the command line, where it would sit
 * in the shell's history and the process list; it is stored as an scrypt hash only.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CONSOLE_ROLES, type ConsoleRole } from '@hub/contracts';
import { AccountsFileError, hashPassword, writeAccount } from './accounts.ts';

const USAGE = `usage: ./hub console add-user --id <id> --name <display name> --organisation <code>
                              [--role ig-officer|ig-officer-national] [--username <name>] [--oidc-subject <sub>]
                              [--file <accounts file>]

Adds a person to the IG console's accounts file (or replaces the one with that id), mode 0600:
  --id            stable and opaque (not a name): the person is local:<id> or oidc:<id> on the audit trail
  --name          the name the console shows them
  --organisation  an authority's ONS code (an area IG officer reads that area's trail), or another code
  --role          ig-officer (default) or ig-officer-national (the whole trail)
  --username      to sign in with a password, read from standard input (typed without echo, or piped)
  --oidc-subject  to sign in through OpenID Connect (NHS CIS2: the person's UUID, the ID token's sub)
  --file          default CONSOLE_ACCOUNTS_FILE, else \${HUB_DEMO_DIR:-.data/demo}/console-accounts.json
The hub reads the file again when it changes: no restart.`;

/** A password from standard input: a terminal is asked without echo; a pipe gives its first line. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input });
    for await (const line of lines) return line;
    return '';
  }
  process.stderr.write('Password: ');
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error === undefined) resolve(typed);
      else reject(error);
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') {
          done();
          return;
        }
        if (character === '\u0003') {
          done(new Error('cancelled'));
          return;
        }
        if (character === '\u007f') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    input.on('data', onData);
  });
}

async function addUser(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      organisation: { type: 'string' },
      role: { type: 'string', default: 'ig-officer' },
      username: { type: 'string' },
      'oidc-subject': { type: 'string' },
      file: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file =
    values.file ??
    process.env['CONSOLE_ACCOUNTS_FILE'] ??
    `${process.env['HUB_DEMO_DIR'] ?? '.data/demo'}/console-accounts.json`;
  if (values.id === undefined || values.name === undefined || values.organisation === undefined) {
    process.stderr.write(`--id, --name and --organisation are required\n\n${USAGE}\n`);
    return 2;
  }
  if (!(CONSOLE_ROLES as readonly string[]).includes(values.role)) {
    process.stderr.write(`--role must be one of ${CONSOLE_ROLES.join(', ')}\n`);
    return 2;
  }
  if (values.username === undefined && values['oidc-subject'] === undefined) {
    process.stderr.write('give --username (a password sign-in), --oidc-subject, or both\n');
    return 2;
  }
  let passwordHash: string | undefined;
  if (values.username !== undefined) {
    const password = await readPassword();
    if (password.length < 12) {
      process.stderr.write('the password must be at least 12 characters\n');
      return 2;
    }
    passwordHash = await hashPassword(password);
  }
  await writeAccount(file, {
    id: values.id,
    displayName: values.name,
    role: values.role as ConsoleRole,
    organisation: values.organisation,
    ...(values.username === undefined ? {} : { username: values.username, passwordHash }),
    ...(values['oidc-subject'] === undefined ? {} : { oidcSubject: values['oidc-subject'] }),
  });
  process.stdout.write(`${values.id} written to ${file}\n`);
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'add-user') process.exitCode = await addUser(rest);
  else {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
} catch (error) {
  // Problems by field only (AccountsFileError never holds a value); anything else by its class.
  process.stderr.write(
    error instanceof AccountsFileError
      ? `${error.message}\n`
      : `add-user failed: ${error instanceof Error ? error.message : 'unknown error'}\n`,
  );
  process.exitCode = 1;
}

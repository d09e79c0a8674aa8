/**
 * `claude-env secret encrypt|decrypt`: age values for the config repo.
 * `encrypt` reads the value from --file, else stdin (so it stays out of the
 * shell's history), encrypts it to the recipients of claude-env.yml
 * (`secrets.age.recipients`, plus any --recipient) and prints the
 * `!encrypted` YAML to paste; `decrypt` takes such YAML or bare armor (from
 * --file or stdin) and prints the value, with --identity FILE or
 * $CLAUDE_ENV_AGE_IDENTITY. A value given on the command line is refused:
 * it would be seen by every process on the machine.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import { ageRecipients } from '../repo/settings.js';
import { decrypt, encrypt, parseIdentities } from '../secrets/age.js';
import { armorOf, encryptedYaml } from '../secrets/armor.js';
import { readIdentityText } from '../secrets/resolve.js';
import { openRepo, type RepoOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

interface SecretOptions extends RepoOptions {
  recipient?: string | string[];
  identity?: string;
  file?: string;
  json?: boolean;
}

async function input(io: CliIO, opts: SecretOptions): Promise<string> {
  if (opts.file) {
    const path = resolve(io.cwd, opts.file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ClaudeEnvError('unreadable', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
    }
  }
  if (!io.stdin) throw new ClaudeEnvError('usage', 'give the value on stdin or with --file FILE');
  return io.stdin.read();
}

/** The repo's recipients and --recipient; outside a config repo, --recipient alone will do. */
function recipientsOf(io: CliIO, opts: SecretOptions): string[] {
  const given = opts.recipient === undefined ? [] : Array.isArray(opts.recipient) ? opts.recipient.map(String) : [String(opts.recipient)];
  let fromRepo: string[] = [];
  try {
    fromRepo = ageRecipients(openRepo(io, opts).settings);
  } catch (err) {
    if (!(err instanceof ClaudeEnvError && err.code === 'not-config-repo') || given.length === 0) throw err;
  }
  return [...new Set([...fromRepo, ...given])];
}

export async function run(io: CliIO, opts: SecretOptions, args: string[]): Promise<ExitCode> {
  const [action, extra] = args;
  if (extra !== undefined) throw new ClaudeEnvError('usage', 'a value on the command line is visible to every process on the machine: give it on stdin or with --file FILE');
  if (action === 'encrypt') {
    const recipients = recipientsOf(io, opts);
    const armored = await encrypt((await input(io, opts)).replace(/\r?\n$/, ''), recipients);
    if (opts.json) printJson(io, { recipients, armored, yaml: encryptedYaml(armored) });
    else io.stdout.write(encryptedYaml(armored));
    return EXIT_OK;
  }
  if (action === 'decrypt') {
    const file = opts.identity ?? io.env['CLAUDE_ENV_AGE_IDENTITY'];
    if (!file) throw new ClaudeEnvError('age-identity', 'no age identity: pass --identity FILE or set $CLAUDE_ENV_AGE_IDENTITY');
    const path = resolve(io.cwd, file);
    const value = await decrypt(armorOf(await input(io, opts)), parseIdentities(await readIdentityText(path), path), 'cannot decrypt the value');
    if (opts.json) printJson(io, { value });
    else io.stdout.write(`${value}\n`);
    return EXIT_OK;
  }
  throw new ClaudeEnvError('usage', action === undefined ? 'secret needs an action: encrypt or decrypt' : `unknown secret action "${action}": encrypt or decrypt`);
}

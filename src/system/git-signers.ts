/**
 * SSH commit signatures as git checks them (`gpg.format=ssh`): an
 * allowed-signers file made from access.yml `signing_keys` (user → keys),
 * so a good signature names its user (`%GS`), in a temp folder removed by
 * `cleanup`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function signersFile(keys: Readonly<Record<string, readonly string[]>>): Promise<{ file: string; cleanup(): Promise<void> }> {
  const tmp = await mkdtemp(join(tmpdir(), 'claude-env-signers-'));
  const file = join(tmp, 'allowed_signers');
  const lines = Object.entries(keys).flatMap(([user, list]) => list.map((k) => `${user} namespaces="git" ${k}`));
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { file, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}

/** git's options that check SSH signatures against `file`. */
export const signerConfig = (file: string): string[] => ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${file}`];

/**
 * `claude-env import --from-home DIR | --from-project DIR --into
 * user:U|team:T|project:P [--env E --team T --project P] [--dry-run]`: a
 * machine's Claude Code setup as a layer of the config repo (src/import/),
 * on a new branch `import/<kind>-<name>` (one commit over HEAD; the working
 * tree, index and current branch are untouched), proved by rendering it
 * back. Exit 1 when the proof finds a difference or something could not be
 * said (both listed); `--dry-run` shows the documents and makes no branch.
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { runCommon, runImport, type CommonImported, type Imported, type IntoKind } from '../import/run.js';
import { scanForSecrets } from '../secrets/scan.js';
import { describeTarget, repoDir } from './context.js';
import { printJson, type CliIO } from './io.js';

interface ImportOptions {
  repo?: string;
  fromHome?: string;
  fromProject?: string;
  into?: string;
  env?: string;
  team?: string;
  project?: string;
  dryRun?: boolean;
  json?: boolean;
  common?: boolean;
  users?: string;
  encrypt?: boolean;
}

const KINDS: readonly IntoKind[] = ['user', 'team', 'project'];

function parseInto(text: string | undefined): { kind: IntoKind; name: string } {
  if (text === 'base') return { kind: 'base', name: '' };
  const m = text === undefined ? null : /^([a-z]+):(.+)$/.exec(text);
  if (!m || !KINDS.includes(m[1] as IntoKind)) throw new ClaudeEnvError('usage', `--into ${text ?? '(missing)'}: expected user:<user>, team:<team>, project:<project> or base`);
  return { kind: m[1] as IntoKind, name: m[2]! };
}

export async function run(io: CliIO, opts: ImportOptions, args: string[] = []): Promise<ExitCode> {
  const into = parseInto(opts.into);
  if (opts.common) return common(io, opts, into, args);
  if (args.length > 0) throw new ClaudeEnvError('usage', `import takes no folder as an argument (${args[0]}): use --from-home DIR or --from-project DIR, or --common HOME…`);
  const done = await runImport({
    dir: repoDir(io, opts),
    ...(opts.fromHome ? { fromHome: opts.fromHome } : {}),
    ...(opts.fromProject ? { fromProject: opts.fromProject } : {}),
    into,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.team ? { team: opts.team } : {}),
    ...(opts.project ? { project: opts.project } : {}),
    dryRun: opts.dryRun === true,
    scanner: scanForSecrets,
    gitEnv: io.env,
    encrypt: opts.encrypt === true,
  });
  if (opts.json) printJson(io, jsonOf(done));
  else io.stdout.write(textOf(done, opts.dryRun === true));
  return done.proof.equal && done.notExpressed.length === 0 ? EXIT_OK : EXIT_FINDINGS;
}

async function common(io: CliIO, opts: ImportOptions, into: { kind: IntoKind; name: string }, homes: string[]): Promise<ExitCode> {
  if (into.kind !== 'team') throw new ClaudeEnvError('usage', `--common makes a team layer: --into team:<team>, not ${into.kind}:${into.name}`);
  if (opts.fromHome || opts.fromProject) throw new ClaudeEnvError('usage', '--common takes the homes as arguments, not --from-home or --from-project');
  const users = opts.users === undefined ? undefined : opts.users.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const done = await runCommon({ dir: repoDir(io, opts), homes, ...(users ? { users } : {}), team: into.name, ...(opts.env ? { env: opts.env } : {}), dryRun: opts.dryRun === true, scanner: scanForSecrets, gitEnv: io.env, encrypt: opts.encrypt === true });
  const ok = (d: Imported): boolean => d.proof.equal && d.notExpressed.length === 0;
  if (opts.json) printJson(io, commonJson(done));
  else {
    io.stdout.write(
      done.branch
        ? `imported the team layer of ${into.name} and ${done.users.length} user layers on branch ${done.branch} at ${done.commit.slice(0, 12)} (one commit over ${done.base.slice(0, 12)})\n\n`
        : `import of the team layer of ${into.name} and ${done.users.length} user layers (dry run: no branch made)\n\n`,
    );
    for (const d of [done.team, ...done.users]) io.stdout.write(`== ${d.into}\n${textOf(d, opts.dryRun === true, false).split('\n').slice(1).join('\n')}\n`);
  }
  return [done.team, ...done.users].every(ok) ? EXIT_OK : EXIT_FINDINGS;
}

function commonJson(d: CommonImported): Record<string, unknown> {
  return { branch: d.branch ?? null, commit: d.commit, base: d.base, team: jsonOf(d.team), users: d.users.map(jsonOf) };
}

function jsonOf(d: Imported): Record<string, unknown> {
  return {
    into: d.into,
    target: describeTarget(d.target),
    branch: d.branch ?? null,
    commit: d.commit,
    base: d.base,
    documents: d.documents,
    files: d.files,
    secrets: d.secrets,
    not_expressed: d.notExpressed,
    skipped: d.skipped,
    proof: d.proof,
  };
}

function textOf(d: Imported, dryRun: boolean, footer = true): string {
  const lines: string[] = [];
  const encrypted = d.documents.some((doc) => doc.content.includes('!encrypted'));
  lines.push(dryRun ? `import into ${d.into} (dry run: no branch made), proved for ${describeTarget(d.target)}` : `imported into ${d.into} on branch ${d.branch} at ${d.commit.slice(0, 12)} (one commit over ${d.base.slice(0, 12)}), proved for ${describeTarget(d.target)}`);
  if (dryRun) for (const doc of d.documents) lines.push('', `--- ${doc.path}`, doc.content.trimEnd());
  else for (const doc of d.documents) lines.push(`  ${doc.path}`);
  for (const f of d.files) lines.push(`  ${f.path} (${f.bytes} bytes${f.mode === 0o755 ? ', executable' : ''})`);
  if (d.secrets.length > 0) {
    lines.push('', encrypted ? 'secrets, now !encrypted values for the age recipients of claude-env.yml (the plaintext was not written anywhere):' : `secrets, now !secret env: references (set these variables on the machines; the values were not written anywhere):`);
    for (const s of d.secrets) lines.push(`  ${s.name}  (from ${s.at}${s.inherited ? ', a reference the layers below already make' : ''})`);
  }
  lines.push('', d.proof.equal ? `proof: rendering the target gives back all ${d.proof.checked} settings keys, MCP servers and files of the machine` : `proof: ${d.proof.differing.length} of ${d.proof.checked} differ after rendering:`);
  for (const i of d.proof.differing) lines.push(`  ${i.kind} ${i.path}`);
  if (d.notExpressed.length > 0) {
    lines.push('', 'what the layer cannot say:');
    for (const n of d.notExpressed) lines.push(`  ${n.path}: ${n.reason}`);
  }
  if (d.skipped.length > 0) {
    lines.push('', 'not imported:');
    for (const s of d.skipped) lines.push(`  ${s.path}: ${s.reason}`);
  }
  if (!dryRun && footer) lines.push('', `your current branch, index and working tree are unchanged; push ${d.branch} and open a pull request`);
  return `${lines.join('\n')}\n`;
}

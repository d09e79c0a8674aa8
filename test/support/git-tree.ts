/**
 * Git trees that `git add` would never make, for the tests of what a crafted
 * revision can do (`apply --rev`): entries named `..`, `.`, `.git`, with a
 * `/` or a control character, symbolic links (mode 120000). Each tree object
 * is written raw with `git hash-object -t tree --literally`, so git checks
 * nothing, and committed on top of a branch with `git commit-tree`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export function git(dir: string, args: string[], input?: string | Buffer): Buffer {
  return execFileSync('git', ['-C', dir, ...args], { env: GIT_ENV, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A folder of the repo committed as it is on `main` (`git init` first when it is no repository yet). */
export function commitAll(dir: string): void {
  if (!existsSync(join(dir, '.git'))) git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-verify', '--allow-empty', '-m', 'as it is']);
}

type Node = { kind: 'blob'; mode: string; oid: string } | { kind: 'tree'; entries: Map<string, Node> };

function readTree(dir: string, oid: string): Node {
  const entries = new Map<string, Node>();
  const out = git(dir, ['ls-tree', '-z', oid]).toString('utf8');
  for (const rec of out.split('\0').filter(Boolean)) {
    const tab = rec.indexOf('\t');
    const [mode, type, id] = rec.slice(0, tab).split(' ') as [string, string, string];
    const name = rec.slice(tab + 1);
    entries.set(name, type === 'tree' ? readTree(dir, id) : { kind: 'blob', mode, oid: id });
  }
  return { kind: 'tree', entries };
}

function writeTree(dir: string, node: Node & { kind: 'tree' }): string {
  const parts: Array<{ key: string; bytes: Buffer }> = [];
  for (const [name, child] of node.entries) {
    const mode = child.kind === 'tree' ? '40000' : child.mode;
    const oid = child.kind === 'tree' ? writeTree(dir, child) : child.oid;
    parts.push({ key: child.kind === 'tree' ? `${name}/` : name, bytes: Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'utf8'), Buffer.from(oid, 'hex')]) });
  }
  parts.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  return git(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], Buffer.concat(parts.map((p) => p.bytes))).toString().trim();
}

/** One entry to put in a tree: its name at every level (a level may be `..`, or hold a `/`), and a file or a symbolic link. */
export interface CraftedEntry {
  readonly at: readonly string[];
  readonly content: string;
  /** A symbolic link whose target is `content` (mode 120000). */
  readonly link?: boolean;
}

/** A commit on top of `from` whose tree also holds `entries`, as branch `name`; returns `name`. */
export function craftCommit(dir: string, name: string, entries: readonly CraftedEntry[], from = 'main'): string {
  const root = readTree(dir, `${from}^{tree}`) as Node & { kind: 'tree' };
  for (const e of entries) {
    let cur = root;
    for (const seg of e.at.slice(0, -1)) {
      let next = cur.entries.get(seg);
      if (!next || next.kind !== 'tree') {
        next = { kind: 'tree', entries: new Map() };
        cur.entries.set(seg, next);
      }
      cur = next;
    }
    const oid = git(dir, ['hash-object', '-w', '--stdin'], e.content).toString().trim();
    cur.entries.set(e.at[e.at.length - 1]!, { kind: 'blob', mode: e.link ? '120000' : '100644', oid });
  }
  const tree = writeTree(dir, root);
  const commit = git(dir, ['commit-tree', tree, '-p', from, '-m', name]).toString().trim();
  git(dir, ['branch', '-f', name, commit]);
  return name;
}

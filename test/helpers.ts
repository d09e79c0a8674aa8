/** Shared by the tests: repo paths, fixture repos, running the CLI in process, temp dirs. */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';

/** The project root (tests run from dist/test/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'repos', name);

export function tempDir(prefix = 'claude-env-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of a fixture repo in a temp dir, to change without touching the original. */
export function copyFixture(name: string): { dir: string; cleanup(): void } {
  const t = tempDir();
  const dir = join(t.dir, name);
  cpSync(fixture(name), dir, { recursive: true });
  return { dir, cleanup: t.cleanup };
}

/** The document cache of this test process: real, on disk, and removed at exit. */
const cacheDir = mkdtempSync(join(tmpdir(), 'claude-env-test-cache-'));
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
export const TEST_CACHE_DIR = cacheDir;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `claude-env ARGV` in process, as a user would from `cwd`. */
export async function cli(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; tty?: boolean; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.tty ?? false },
    env: { CLAUDE_ENV_CACHE: cacheDir, ...(opts.env ?? { HOME: opts.cwd ?? tmpdir(), PATH: process.env['PATH'] }) },
    cwd: opts.cwd ?? ROOT,
    ...(opts.stdin !== undefined ? { stdin: { read: async () => opts.stdin! } } : {}),
  });
  return { code, stdout, stderr };
}

/** Every file under a dir with its bytes and mode: to show that nothing changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(p, `${statSync(join(dir, p)).mode}:${readFileSync(join(dir, p), 'base64')}`);
      else out.set(p, 'link');
    }
  };
  walk('');
  return out;
}

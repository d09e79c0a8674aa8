/**
 * validate's verdict on settings agrees with the installed Claude Code's. Each case's settings go in a project layer of a seed
 * repo; `validate` judges the repo and `render` writes the settings.json Claude would get; `claude doctor` (the newest release and
 * the oldest supported one, from node_modules) reads that file as the user settings of a throwaway HOME and says whether it takes
 * it as written, drops part of it, or ignores all of it (test/support/claude-verdict.ts). validate passing must mean Claude takes
 * the file as written; a validate error must mean Claude does not. Offline, no login.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { initRepo } from '../src/workspace/init.js';
import { cli, tempDir } from './helpers.js';
import { CLAUDE_PACKAGES, findClaudeBin, requireComponent } from './support/claude.js';
import { claudeJudgesSettings, SETTINGS_PROBE, type ClaudeRelease, type ClaudeVerdict } from './support/claude-verdict.js';

const PROJECT_FILE = 'projects/api-service/claude-config.yml';
const TARGET = ['--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service'];

interface Case {
  /** The settings, in words. */
  what: string;
  /** The project layer's `settings:` (the probe is added to its `env`). */
  settings: Record<string, unknown>;
  /** validate's error on the project file (null: validate passes), as the user reads it. */
  error: RegExp | null;
  /** validate's warning on the project file, when a passing case has one. */
  warning?: RegExp;
  claude: Record<ClaudeRelease, ClaudeVerdict>;
  /** The key path Claude names in doctor's "Invalid settings" when it does not take the file as written. */
  claudeNames?: string;
}

const hook = { type: 'command', command: 'true' };

const CASES: Case[] = [
  {
    what: 'permissions with allow and deny rules and a defaultMode',
    settings: { permissions: { allow: ['Read', 'Bash(npm run test:*)'], deny: ['Read(./.env)'], defaultMode: 'plan' } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'a command hook with a description and once: true',
    settings: { hooks: { PostToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'npm run fmt', description: 'Format what Claude wrote', once: true }] }] } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'an unknown top-level key',
    settings: { claudeEnvTeamNote: 'reviewed by platform' },
    error: null,
    warning: /  warning  settings-unknown-key  Claude Code has no setting "claudeEnvTeamNote"/,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'a command statusLine with padding',
    settings: { statusLine: { type: 'command', command: '~/.claude/statusline.sh', padding: 0 } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'an env map of strings',
    settings: { env: { GOFLAGS: '-mod=mod', FEATURE_FLAG: '1' } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    // Both take a number and make it a string.
    what: 'an env value that is a number',
    settings: { env: { FEATURE_LEVEL: 1 } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'an empty model and an empty hook command',
    settings: { model: '', hooks: { Stop: [{ hooks: [{ type: 'command', command: '' }] }] } },
    error: null,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    // Claude Code drops the value alone (its schema catches it) and keeps the rest of the file: validate warns.
    what: 'effortLevel: "max" (not a level Claude Code has)',
    settings: { effortLevel: 'max' },
    error: null,
    warning: /  warning  settings-value-dropped  Claude Code drops effortLevel "max" and keeps the rest of the file: it takes low, medium, high or xhigh$/,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'theme: "bogus"',
    settings: { theme: 'bogus' },
    error: null,
    warning: /  warning  settings-value-dropped  Claude Code drops theme "bogus" and keeps the rest of the file/,
    claude: { newest: 'takes it as written', oldest: 'takes it as written' },
  },
  {
    what: 'model: 42 (a number where a string goes)',
    settings: { model: 42 },
    error: /  error  schema  must be string$/,
    claude: { newest: 'ignores the whole file', oldest: 'ignores the whole file' },
    claudeNames: 'model',
  },
  {
    what: 'permissions.allow: "Read" (a string where a list goes)',
    settings: { permissions: { allow: 'Read' } },
    error: /  error  schema  must be array$/,
    claude: { newest: 'ignores the whole file', oldest: 'ignores the whole file' },
    claudeNames: 'permissions.allow',
  },
  {
    what: 'cleanupPeriodDays: -1',
    settings: { cleanupPeriodDays: -1 },
    error: /  error  schema  must be at least 1$/,
    claude: { newest: 'ignores the whole file', oldest: 'ignores the whole file' },
    claudeNames: 'cleanupPeriodDays',
  },
  {
    what: 'permissions.defaultMode: "bogus"',
    settings: { permissions: { defaultMode: 'bogus' } },
    error: /  error  schema  must be one of: default, acceptEdits, plan, auto, dontAsk, bypassPermissions$/,
    claude: { newest: 'ignores the whole file', oldest: 'ignores the whole file' },
    claudeNames: 'permissions.defaultMode',
  },
  {
    what: 'a statusLine without its command',
    settings: { statusLine: { type: 'command' } },
    error: /  error  merged-schema  settings\.statusLine: missing key "command" once merged/,
    claude: { newest: 'ignores the whole file', oldest: 'ignores the whole file' },
    claudeNames: 'statusLine.command',
  },
  {
    // 2.1.332 drops the event with a warning and keeps the rest; 2.1.0 ignores the file ("Invalid key in record").
    what: 'a hook under an unknown event name',
    settings: { hooks: { BogusEvent: [{ hooks: [hook] }] } },
    error: /  error  schema  unknown hook event "BogusEvent"$/,
    claude: { newest: 'drops part of it', oldest: 'ignores the whole file' },
    claudeNames: 'hooks.BogusEvent',
  },
  {
    // 2.1.332 skips the rule; 2.1.0 ignores the file.
    what: 'a permission rule with a lower-case tool name',
    settings: { permissions: { allow: ['bash(ls)'] } },
    error: /  error  permission-rule  invalid permission rule "bash\(ls\)": tool name "bash" must start with an uppercase letter/,
    claude: { newest: 'drops part of it', oldest: 'ignores the whole file' },
    claudeNames: 'permissions.allow',
  },
];

const RELEASES: ClaudeRelease[] = ['newest', 'oldest'];
/** The versions, or a clear failure (never a skip) when a release is not installed. */
const VERSION: Record<ClaudeRelease, string> = {
  newest: requireComponent(`Claude Code CLI (${CLAUDE_PACKAGES.newest})`, () => findClaudeBin(CLAUDE_PACKAGES.newest)).version,
  oldest: requireComponent(`Claude Code CLI, oldest supported (${CLAUDE_PACKAGES.oldest})`, () => findClaudeBin(CLAUDE_PACKAGES.oldest)).version,
};

/** The case's settings with the probe added to their env. */
const withProbe = (settings: Record<string, unknown>): Record<string, unknown> => ({
  ...settings,
  env: { ...((settings['env'] as Record<string, unknown> | undefined) ?? {}), ...SETTINGS_PROBE },
});

/** Whether `whole` holds `part`: every key of an object, every item of a list (rendered lists also hold the other layers' items). */
const holds = (whole: unknown, part: unknown): boolean => {
  if (Array.isArray(part)) return Array.isArray(whole) && part.every((p) => whole.some((w) => holds(w, p) && holds(p, w)));
  if (part !== null && typeof part === 'object') {
    return whole !== null && typeof whole === 'object' && !Array.isArray(whole) && Object.entries(part).every(([k, v]) => holds((whole as Record<string, unknown>)[k], v));
  }
  return Object.is(whole, part);
};

interface Judged {
  code: number;
  /** validate's findings (error and warning lines). */
  findings: string[];
  /** The settings.json Claude is given. */
  settingsJson: string;
  rendered: boolean;
}

const tmp = tempDir('claude-env-verdict-');
let seed = '';
let queue: Promise<unknown> = Promise.resolve();
const judged = new Map<Case, Promise<Judged>>();

/** validate and render, once per case, one case at a time (they run in this process). */
const judgeWithClaudeEnv = (c: Case): Promise<Judged> => {
  let p = judged.get(c);
  if (!p) {
    p = queue.then(async () => {
      const dir = join(tmp.dir, `repo-${CASES.indexOf(c)}`);
      cpSync(seed, dir, { recursive: true });
      writeFileSync(join(dir, PROJECT_FILE), stringify({ settings: withProbe(c.settings) }));
      const v = await cli(['validate', '--repo', dir]);
      const findings = v.stdout.split('\n').filter((l) => /  (error|warning)  /.test(l));
      const r = await cli(['render', '--outputs', '--json', '--repo', dir, ...TARGET]);
      // Should render ever refuse the invalid settings, Claude judges the case's value itself.
      const settingsJson = r.code === 0 ? (JSON.parse(r.stdout) as Record<string, string>)['.claude/settings.json'] : undefined;
      return { code: v.code, findings, settingsJson: settingsJson ?? `${JSON.stringify(withProbe(c.settings), null, 2)}\n`, rendered: settingsJson !== undefined };
    });
    queue = p.catch(() => {});
    judged.set(c, p);
  }
  return p;
};

describe('validate and the installed Claude Code agree on which settings files Claude takes as written', { concurrency: 3 }, () => {
  before(async () => {
    seed = join(tmp.dir, 'seed');
    mkdirSync(seed);
    await initRepo(seed, { PATH: process.env['PATH'] });
  });
  after(() => tmp.cleanup());

  for (const release of RELEASES) {
    it(`Claude Code ${VERSION[release]} doctor shows no probe for a valid settings file without it`, { timeout: 60_000 }, async (t) => {
      // The sandbox environment has no BASH_MAX_OUTPUT_LENGTH, so the cap line the cases below look for can only come from the
      // file's env (the passing cases show it with the probe in the file).
      const without = await claudeJudgesSettings(release, '{ "model": "sonnet" }\n');
      t.diagnostic(`doctor took ${Math.round(without.ms)} ms`);
      assert.equal(without.probeApplied, false, without.report);
      assert.deepEqual(without.issues, [], without.report);
    });
  }

  for (const c of CASES) {
    for (const release of RELEASES) {
      const says = c.error ? 'reports an error' : 'passes';
      it(`${c.what}: validate ${says}, and Claude Code ${VERSION[release]} ${c.claude[release]}`, { timeout: 60_000 }, async (t) => {
        const ours = await judgeWithClaudeEnv(c);
        const claude = await claudeJudgesSettings(release, ours.settingsJson);
        t.diagnostic(`doctor took ${Math.round(claude.ms)} ms; Claude's invalid settings: ${JSON.stringify(claude.issues)}; validate: ${JSON.stringify(ours.findings)}`);

        // Both tools judge the same value: the rendered file carries the case's settings.
        assert.ok(ours.rendered, 'render writes the settings.json even when validate fails');
        assert.ok(holds(JSON.parse(ours.settingsJson), withProbe(c.settings)), `the rendered settings.json holds the case's settings:\n${ours.settingsJson}`);

        // The point: validate passes exactly when Claude takes the file as written.
        const validateErrors = ours.findings.filter((f) => /  error  /.test(f));
        assert.equal(
          validateErrors.length === 0,
          claude.verdict === 'takes it as written',
          `validate and Claude Code ${claude.version} disagree on ${JSON.stringify(c.settings)}:\n` +
            `validate exit ${ours.code}: ${ours.findings.join('\n') || '(no findings)'}\nClaude: ${claude.verdict}\n${claude.report}`,
        );

        // validate: exit code, and the finding at the project file where the settings are.
        assert.equal(ours.code, c.error ? 1 : 0, ours.findings.join('\n'));
        if (c.error) {
          assert.ok(validateErrors.length > 0 && validateErrors.every((f) => f.startsWith(`${PROJECT_FILE}:`)), `every error is on ${PROJECT_FILE}:\n${validateErrors.join('\n')}`);
          assert.ok(validateErrors.some((f) => c.error!.test(f)), `validate says ${c.error}:\n${validateErrors.join('\n')}`);
        } else {
          assert.deepEqual(ours.findings.filter((f) => !c.warning?.test(f)), [], 'no findings but the expected warning');
          if (c.warning) assert.ok(ours.findings.some((f) => c.warning!.test(f)), `validate warns ${c.warning}:\n${ours.findings.join('\n')}`);
        }

        // Claude: its verdict, and doctor names the key it could not take.
        assert.equal(claude.verdict, c.claude[release], claude.report);
        if (c.claudeNames) {
          const named = claude.issues.some((i) => i.path === c.claudeNames || i.path.startsWith(`${c.claudeNames}.`));
          assert.ok(named, `doctor names ${c.claudeNames} under "Invalid settings":\n${claude.report}`);
        } else assert.deepEqual(claude.issues, [], claude.report);
      });
    }
  }
});

/**
 * Error code → exit code and HTTP status: the one table. The core and the
 * edges throw `ClaudeEnvError` with a stable `code`; the CLI boundary
 * (`cli/main.ts`) turns it into an exit code here, and the controller will
 * turn the same code into an HTTP status. A code that is not listed exits 2
 * and answers 500; `test/cli/error-codes.test.ts` fails on any code used in
 * `src/` that is missing from this table.
 *
 * Exit codes (SPEC.md): 1 findings or denial (invalid config, a path that may
 * not be written); 2 usage or operational error (bad flag, unreadable repo,
 * lock held). HTTP: 400 bad request, 404 no such thing, 409 conflicts with
 * what exists, 422 the config is invalid, 423 locked, 500 the machine or a
 * tool failed.
 */
import type { ExitCode } from './errors.js';

export interface ErrorCodeEntry {
  readonly exit: ExitCode;
  readonly http: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 423 | 500 | 503;
}

const usage = { exit: 2, http: 400 } as const;
const notFound = { exit: 2, http: 404 } as const;
const conflict = { exit: 2, http: 409 } as const;
const locked = { exit: 2, http: 423 } as const;
const failed = { exit: 2, http: 500 } as const;
/** Config that cannot be used, as a usage error (exit 2): the command refuses to decide on it. */
const unusable = { exit: 2, http: 422 } as const;
/** A finding that stops the work: exit 1, like `validate` reporting it. */
const finding = { exit: 1, http: 422 } as const;

/** The codes of errors thrown in `src/`. */
const ERRORS = {
  // usage: the command line or its input
  usage,
  'invalid-name': usage,
  'age-identity': usage,
  'age-recipient': usage,
  // a thing named that does not exist
  'unknown-target': notFound,
  // the controller's API (SPEC.md "The fleet"): a denial exits 1, like access check's
  'bad-request': usage,
  'not-found': notFound,
  'unauthorized': { exit: 1, http: 401 },
  'forbidden': { exit: 1, http: 403 },
  'too-large': { exit: 2, http: 413 },
  // a backup file that does not decompress, has a checksum or counts that do not match, or another schema
  'backup-invalid': { exit: 1, http: 422 },
  // the fleet is frozen (read-only mode): no rollout moves, no sweep starts, until `unfreeze`
  'frozen': { exit: 1, http: 503 },
  'unavailable': { exit: 2, http: 503 },
  'conflict': conflict,
  'not-config-repo': notFound,
  'no-restore-point': notFound,
  'unknown-restore-point': notFound,
  // the state of the repo or the machine is in the way
  'dirty-tree': conflict,
  'identity-exists': conflict,
  'member-exists': conflict,
  'not-empty': conflict,
  // a machine file claude-env merges into is not JSON: written over, Claude Code would reset it
  'unparsable-file': conflict,
  'lock-held': locked,
  // the controller could not be reached (the agent keeps its reports)
  unreachable: failed,
  // config the command refuses to decide on
  'access-policy': unusable,
  'mcp-entry': unusable,
  'secret-unresolved': unusable,
  // config that may not be written or edited: a finding (exit 1)
  'target-refused': finding,
  // an imported layer that does not validate: no branch is made
  'import-invalid': finding,
  'unsafe-path': finding,
  'schema-invalid': finding,
  'members-shape': finding,
  'members-edit': finding,
  // the machine, git or claude-env itself failed
  'lock-failed': failed,
  'write-failed': failed,
  // a write through a read-only System (the post-apply check, a dry run's reader): a bug, never the user's input
  'read-only-write': failed,
  'apply-check-failed': failed,
  'remediate-check-failed': failed,
  'restore-point-corrupt': failed,
  'state-corrupt': failed,
  'state-unreadable': failed,
  unreadable: failed,
  git: failed,
  io: failed,
  'io-error': failed,
  internal: failed,
} as const satisfies Record<string, ErrorCodeEntry>;

/**
 * Validation rule ids (the same namespace): a render, apply or onboard that
 * meets an error finding stops with the finding's rule id as its code, exit 1.
 * Every id a rule of `validate/registry.ts` declares must be here.
 */
const FINDINGS = [
  'repo-symlink', 'repo-path', 'files-in-document', 'path-alias', 'symlink-outside-repo', 'symlink-target',
  'yaml-syntax', 'yaml-duplicate-key', 'yaml-tag', 'yaml-key', 'unsafe-key', 'yaml-alias-limit', 'yaml-alias-cycle', 'document-too-large',
  'secret-ref', 'unmapped-document', 'org-schema-load', 'schema', 'unknown-key', 'org-schema', 'settings-unknown-key', 'permissions-unknown-key', 'settings-value-dropped', 'frontmatter-unknown-key', 'mcp-unknown-key', 'hook-unknown-key', 'permission-rule', 'permission-rule-unmatched', 'null-value',
  'unknown-mcp-server', 'unknown-project', 'unknown-role', 'unknown-member', 'duplicate-member', 'unknown-environment', 'unknown-team', 'unknown-persona',
  'merge-type-change', 'merge-delete-misplaced', 'merged-schema',
  'policy-required-deny', 'policy-forbidden-allow', 'policy-forbidden-mode', 'policy-mcp-allowlist', 'policy-mcp-https', 'policy-credential-plain', 'policy-executable-layer', 'harness-unsupported',
  'secret-cmd-layer', 'security-layer', 'files-reserved', 'files-collision', 'secret-detected', 'secret-allow-unused', 'secret-lookalike',
  'mcp-down', 'mcp-expectation', 'no-write-grant',
] as const;

export const ERROR_CODES: Readonly<Record<string, ErrorCodeEntry>> = Object.freeze({
  ...Object.fromEntries(FINDINGS.map((id) => [id, finding])),
  ...ERRORS,
});

const UNLISTED: ErrorCodeEntry = failed;

function entry(code: string): ErrorCodeEntry {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code]! : UNLISTED;
}

/** The exit code of an error with this code (2 for a code not in the table). */
export function exitCodeOf(code: string): ExitCode {
  return entry(code).exit;
}

/** Whether errors of this code are findings about the config (a rule's id, or config that may not be written), not a failure of the call. */
export function isFindingCode(code: string): boolean {
  return entry(code) === finding;
}

/** The HTTP status the controller answers for an error with this code (500 for a code not in the table). */
export function httpStatusOf(code: string): ErrorCodeEntry['http'] {
  return entry(code).http;
}

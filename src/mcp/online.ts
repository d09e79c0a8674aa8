/**
 * The checks of `mcp check` as the other commands use them: the servers of a
 * merged tree checked and turned into findings (`mcp-down`,
 * `mcp-expectation`, at the place in the repo that defines the server or
 * states the expectation) for `mcp check` and `validate --online`, and into
 * health for `drift --online`.
 *
 * `validate --online` covers the repo, not one machine: every distinct
 * enabled server definition of every environment, environment × team and
 * environment × team × project of the repo's targets (user layers aside),
 * each distinct definition checked once.
 */
import { ClaudeEnvError, formatLocation } from '../errors.js';
import { mergeTarget } from '../merge/target.js';
import { toPlain, type TreeMap, type Value } from '../provenance/tree.js';
import type { Repo, LayerDocument } from '../repo/repo.js';
import { describeTarget } from '../repo/target-name.js';
import { createSecretResolver } from '../secrets/resolve.js';
import type { Rule } from '../validate/rule.js';
import { commandLayers } from '../validate/trust.js';
import type { Finding, LayerName, Origin, Target } from '../vocabulary.js';
import type { McpHealth } from '../drift/types.js';
import { checkServers, type CheckEnv, type ServerCheck } from './check.js';
import { unmetExpectations } from './expect.js';
import { resolveServer, serverDefinitions, type ServerDefinition, type ServerSpec } from './servers.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONCURRENCY = 8;

export const MCP_RULES: Readonly<Record<string, string>> = {
  'mcp-down': 'an enabled MCP server does not connect, initialize and list its tools within its time limit',
  'mcp-expectation': "an MCP server is up but does not meet its `expect` block (tools, min_tools, max_latency_ms)",
};

export interface OnlineOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** `--timeout` in ms: wins over each entry's `timeout`. */
  timeoutMs?: number | undefined;
  concurrency?: number | undefined;
  /** `--identity FILE` for `!encrypted` values. */
  identityFile?: string | undefined;
  /** The layers whose `!secret cmd:` values may run (claude-env.yml `secrets.commands_from`); absent: none. */
  commandLayers?: ReadonlySet<LayerName> | undefined;
  /** Told each secret value once it is resolved (see ResolverOptions.onResolved). */
  onResolved?: ((value: string, description: string) => void) | undefined;
}

/** A checked server with where it is defined. */
export interface LocatedCheck extends ServerCheck {
  file: string | null;
  line: number | null;
  column: number | null;
}

export interface CheckReport {
  servers: LocatedCheck[];
  findings: Finding[];
}

const at = (o: Origin | undefined): { file: string; line: number; column: number } => (o ? { file: o.file, line: o.line, column: o.column } : { file: '(unknown)', line: 1, column: 1 });

/** A result for a server that could not even be started (a secret that does not resolve). */
function notStarted(def: ServerDefinition, error: string): ServerCheck {
  return { name: def.name, up: false, transport: def.transport, latency_ms: null, tools: null, error, protocol_version: null, server: null, latency: {}, tool_names: [], prompts: null, resources: null, failed_step: null };
}

/** Resolve and check definitions (each once), in the order given. */
export async function checkDefinitions(defs: readonly ServerDefinition[], opts: OnlineOptions): Promise<ServerCheck[]> {
  const resolveSecret = createSecretResolver({ env: opts.env, cwd: opts.cwd, identityFile: opts.identityFile, onResolved: opts.onResolved, ...(opts.commandLayers ? { commandLayers: opts.commandLayers } : {}) });
  const specs: Array<ServerSpec | string> = await Promise.all(
    defs.map((def) =>
      resolveServer(def, { env: opts.env, resolveSecret, timeoutMs: opts.timeoutMs, defaultTimeoutMs: DEFAULT_TIMEOUT_MS }).catch((err: unknown) => {
        if (err instanceof ClaudeEnvError) return err.file !== undefined && err.file !== def.origin?.file ? `${err.message} (set at ${formatLocation(err)})` : err.message;
        throw err;
      }),
    ),
  );
  const ready = specs.filter((s): s is ServerSpec => typeof s !== 'string');
  const where: CheckEnv = { env: opts.env, cwd: opts.cwd };
  const checked = await checkServers(ready, where, opts.concurrency ?? DEFAULT_CONCURRENCY);
  let next = 0;
  return specs.map((s, i) => (typeof s === 'string' ? notStarted(defs[i]!, s) : checked[next++]!));
}

/** The findings of one checked server: down, or each unmet expectation. */
export function checkFindings(def: ServerDefinition, check: ServerCheck): Finding[] {
  if (!check.up) return [{ rule: 'mcp-down', severity: 'error', ...at(def.origin), message: `MCP server "${def.name}" (${check.transport}) is down: ${check.error ?? 'unknown error'}` }];
  return unmetExpectations(def.name, def.expect, { toolNames: check.tool_names, latencyMs: check.latency_ms ?? 0 }).map((u) => ({
    rule: 'mcp-expectation',
    severity: 'error',
    ...at(u.origin ?? def.origin),
    message: u.message,
  }));
}

/** `mcp check` of a merged mcpServers section (optionally one server). */
export async function checkTree(servers: Value | undefined, opts: OnlineOptions & { only?: string | undefined }): Promise<CheckReport> {
  const defs = serverDefinitions(servers).filter((d) => opts.only === undefined || d.name === opts.only);
  const checks = await checkDefinitions(defs, opts);
  return {
    servers: checks.map((c, i) => {
      const o = defs[i]!.origin;
      return { ...c, file: o?.file ?? null, line: o?.line ?? null, column: o?.column ?? null };
    }),
    findings: defs.flatMap((d, i) => checkFindings(d, checks[i]!)),
  };
}

/** Each enabled server of a merged mcpServers section up or down, as `drift --online` (and a sweep) counts them. */
export async function serverHealth(servers: Value | undefined, opts: OnlineOptions): Promise<McpHealth[]> {
  const report = await checkTree(servers, opts);
  return report.servers.map((s) => ({ name: s.name, up: s.up, ...(s.error !== null ? { error: s.error } : {}) }));
}

/** The merged mcpServers section of a target, with the machine's own layer when given. */
export function mergedServers(repo: Repo, target: Target, extra: readonly LayerDocument[] = []): TreeMap | undefined {
  const tree = mergeTarget(repo, target, { section: 'mcpServers', extra }).tree;
  const s = tree['mcpServers'];
  return s && typeof s === 'object' && !Array.isArray(s) ? (s as TreeMap) : undefined;
}

/**
 * `mcp check` of a target: the enabled servers of its merged tree (with the
 * machine's own layer), or only the one named, which must be among them.
 * `!secret cmd:` values run only from the layers claude-env.yml allows.
 */
export async function checkTarget(repo: Repo, target: Target, extra: readonly LayerDocument[], opts: OnlineOptions & { only?: string | undefined }): Promise<CheckReport> {
  const servers = mergedServers(repo, target, extra);
  if (opts.only !== undefined) {
    const names = serverDefinitions(servers).map((d) => d.name);
    if (!names.includes(opts.only)) {
      throw new ClaudeEnvError('usage', `no enabled MCP server "${opts.only}" for ${describeTarget(target)}`, { hint: names.length > 0 ? `enabled servers: ${names.join(', ')}` : 'the target has no enabled MCP servers' });
    }
  }
  return checkTree(servers, { ...opts, commandLayers: commandLayers(repo.settings.raw).layers });
}

/** Every env, env × team and env × team × project of the repo (see the module comment). */
function repoScopes(repo: Repo): Target[] {
  const out = new Map<string, Target>();
  const add = (t: Target): void => void out.set(`${t.env}|${t.team ?? ''}|${t.project ?? ''}`, t);
  for (const env of repo.settings.environments) {
    add({ env });
    for (const team of repo.teams()) add({ env, team });
  }
  for (const t of repo.targets()) add({ env: t.env, ...(t.team !== undefined ? { team: t.team } : {}), ...(t.project !== undefined ? { project: t.project } : {}) });
  return [...out.values()];
}

/** `validate --online`: the findings of every distinct server definition of the repo. */
export async function repoFindings(repo: Repo, opts: OnlineOptions): Promise<Finding[]> {
  const byContent = new Map<string, ServerDefinition>();
  const located = new Map<string, ServerDefinition>();
  const contentOf = new Map<string, string>();
  for (const scope of repoScopes(repo)) {
    let servers: TreeMap | undefined;
    try {
      servers = mergedServers(repo, scope);
    } catch {
      continue; // a scope that does not merge is already a validate finding
    }
    for (const def of serverDefinitions(servers)) {
      const content = JSON.stringify([def.name, toPlain(def.entry)]);
      if (!byContent.has(content)) byContent.set(content, def);
      const place = `${content}\0${def.origin?.file}:${def.origin?.line}:${def.origin?.column}`;
      if (!located.has(place)) {
        located.set(place, def);
        contentOf.set(place, content);
      }
    }
  }
  const distinct = [...byContent.entries()];
  const checks = await checkDefinitions(
    distinct.map(([, d]) => d),
    opts,
  );
  const checkOf = new Map(distinct.map(([content], i) => [content, checks[i]!]));
  const findings: Finding[] = [];
  for (const [place, def] of located) findings.push(...checkFindings(def, checkOf.get(contentOf.get(place)!)!));
  return findings;
}

/** Add online findings to a validation result: sorted like validate's own, counted in its summary. */
export function withFindings<R extends { findings: Finding[]; summary: { errors: number; warnings: number } }>(result: R, extra: readonly Finding[]): R {
  const findings = [...result.findings, ...extra].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  return {
    ...result,
    findings,
    summary: { errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length },
  };
}

/** `validate --online`: a validation of the repo with the findings of its servers added, and the rule that reports them (SARIF lists it). */
export async function validateOnline<R extends { findings: Finding[]; summary: { errors: number; warnings: number } }>(repo: Repo, result: R, opts: OnlineOptions): Promise<{ result: R; rule: Rule }> {
  const findings = await repoFindings(repo, { ...opts, commandLayers: commandLayers(repo.settings.raw).layers });
  return { result: withFindings(result, findings), rule: { findings: MCP_RULES, description: 'MCP servers connect and meet their expectations (--online)', check() {} } };
}

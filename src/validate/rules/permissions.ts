/**
 * Claude Code permission-rule syntax wherever a rule list appears: every
 * settings `permissions` list, the security policy's rule lists, personas'
 * `tools` and `disallowedTools`, and workflows' `allowed-tools` and
 * `disallowed-tools` (front matter, where one string may hold several rules).
 */
import { isMap, type LayerMap } from '../../provenance/tree.js';
import { checkPermissionRule } from '../permission-rule.js';
import type { Rule } from '../rule.js';
import { occurrences } from '../sections.js';
import type { RepoDocument } from '../../repo/repo.js';
import type { RuleContext } from '../rule.js';

const SETTINGS_LISTS = ['allow', 'ask', 'deny'] as const;
const POLICY_LISTS = { required_deny: 'deny', forbidden_allow: 'allow' } as const;

/** The finding for each severity: Claude Code drops an invalid rule, and keeps one that can never match. */
const FINDING = {
  error: { rule: 'permission-rule', what: 'invalid', outcome: 'Claude Code drops it' },
  warning: { rule: 'permission-rule-unmatched', what: 'dead', outcome: 'Claude Code keeps it, and it matches nothing' },
} as const;

/** Judge one rule of a list and report what is wrong with it at `at`; `where` names the list for a front-matter rule. */
function reportRule(ctx: RuleContext, doc: RepoDocument, at: readonly (string | number)[], rule: string, kind: 'allow' | 'ask' | 'deny', where?: string): void {
  const problem = checkPermissionRule(rule, kind);
  if (!problem) return;
  const f = FINDING[problem.severity];
  const subject = where === undefined ? `permission rule "${rule}"` : `tool rule "${rule}" in ${where}`;
  ctx.reportAt(doc, at, f.rule, problem.severity, `${f.what} ${subject}: ${problem.message} (${f.outcome})`);
}

function checkList(ctx: RuleContext, doc: RepoDocument, path: readonly string[], list: unknown, kind: 'allow' | 'ask' | 'deny'): void {
  if (!Array.isArray(list)) return;
  list.forEach((rule, i) => {
    if (typeof rule === 'string') reportRule(ctx, doc, [...path, i], rule, kind);
  });
}

/**
 * The rules of a front-matter tool list as Claude Code reads it: a list of
 * strings or one string, each split at commas and spaces outside parentheses
 * (`Read, Bash(git add:*)` is two rules). Observed in Claude Code 2.1.197's
 * front-matter parser.
 */
export function frontMatterRules(value: unknown): string[] {
  const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const rules: string[] = [];
  for (const text of texts) {
    let cur = '';
    let inside = false;
    for (const ch of text) {
      if (ch === '(') inside = true;
      else if (ch === ')') inside = false;
      else if ((ch === ',' || ch === ' ') && !inside) {
        if (cur.trim()) rules.push(cur.trim());
        cur = '';
        continue;
      }
      cur += ch;
    }
    if (cur.trim()) rules.push(cur.trim());
  }
  return rules;
}

/** Each rule of a front-matter tool list, reported at its list item (or at the one string that holds it). */
function checkToolList(ctx: RuleContext, doc: RepoDocument, path: readonly string[], value: unknown, kind: 'allow' | 'deny'): void {
  const items = Array.isArray(value) ? value.map((v, i) => [v, [...path, i]] as const) : [[value, path] as const];
  for (const [item, at] of items) {
    for (const rule of frontMatterRules(item)) {
      // `*`: every tool (Claude Code reads a list holding it as just that).
      if (rule !== '*') reportRule(ctx, doc, at, rule, kind, path[path.length - 1]);
    }
  }
}

export const permissionRule: Rule = {
  findings: {
    'permission-rule': 'a Claude Code permission rule that Claude Code would drop',
    'permission-rule-unmatched': 'a permission rule Claude Code keeps but that no tool can match (a space in a tool name)',
  },
  description: 'Claude Code permission rules are well-formed (Tool or Tool(specifier); MCP rules without parentheses)',
  check(ctx) {
    for (const occ of occurrences(ctx, 'settings')) {
      const perms = occ.value['permissions'] as LayerMap | undefined;
      if (!perms || typeof perms !== 'object') continue;
      for (const k of SETTINGS_LISTS) checkList(ctx, occ.doc, [...occ.path, 'permissions', k], perms[k], k);
    }
    for (const occ of occurrences(ctx, 'personas')) {
      for (const [name, persona] of Object.entries(occ.value)) {
        if (!isMap(persona)) continue;
        for (const k of ['tools', 'disallowedTools']) if ((persona as LayerMap)[k] !== undefined) checkToolList(ctx, occ.doc, [...occ.path, name, k], (persona as LayerMap)[k], k === 'tools' ? 'allow' : 'deny');
      }
    }
    for (const occ of occurrences(ctx, 'workflows')) {
      for (const [name, workflow] of Object.entries(occ.value)) {
        if (!isMap(workflow)) continue;
        for (const k of ['allowed-tools', 'disallowed-tools']) if ((workflow as LayerMap)[k] !== undefined) checkToolList(ctx, occ.doc, [...occ.path, name, k], (workflow as LayerMap)[k], k === 'allowed-tools' ? 'allow' : 'deny');
      }
    }
    const policies = [...ctx.ofKind('security').map((doc) => ({ doc, path: [] as string[], value: doc.value as LayerMap })), ...occurrences(ctx, 'security')];
    for (const occ of policies) {
      const perms = occ.value?.['permissions'] as LayerMap | undefined;
      if (!perms || typeof perms !== 'object') continue;
      for (const [k, kind] of Object.entries(POLICY_LISTS)) checkList(ctx, occ.doc, [...occ.path, 'permissions', k], perms[k], kind);
    }
  },
};

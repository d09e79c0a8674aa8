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

/** How a finding ends: Claude Code drops an invalid rule, and keeps one that can never match. */
const OUTCOME = { error: 'Claude Code drops it', warning: 'Claude Code keeps it, and it matches nothing' } as const;

function checkList(ctx: RuleContext, doc: RepoDocument, path: readonly string[], list: unknown, kind: 'allow' | 'ask' | 'deny'): void {
  if (!Array.isArray(list)) return;
  list.forEach((rule, i) => {
    if (typeof rule !== 'string') return;
    const problem = checkPermissionRule(rule, kind);
    if (problem) ctx.reportAt(doc, [...path, i], problem.severity === 'error' ? 'permission-rule' : 'permission-rule-unmatched', problem.severity, `${problem.severity === 'error' ? 'invalid' : 'dead'} permission rule "${rule}": ${problem.message} (${OUTCOME[problem.severity]})`);
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
      const problem = rule === '*' ? undefined : checkPermissionRule(rule, kind);
      if (problem) ctx.reportAt(doc, at, problem.severity === 'error' ? 'permission-rule' : 'permission-rule-unmatched', problem.severity, `${problem.severity === 'error' ? 'invalid' : 'dead'} tool rule "${rule}" in ${path[path.length - 1]}: ${problem.message} (${OUTCOME[problem.severity]})`);
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

/** Claude Code permission-rule syntax in every settings `permissions` list and in security policy rule lists. */
import type { LayerMap } from '../../provenance/tree.js';
import { checkPermissionRule } from '../permission-rule.js';
import type { Rule } from '../rule.js';
import { occurrences } from '../sections.js';
import type { RepoDocument } from '../../repo/repo.js';
import type { RuleContext } from '../rule.js';

const SETTINGS_LISTS = ['allow', 'ask', 'deny'];
const POLICY_LISTS = ['required_deny', 'forbidden_allow'];

function checkList(ctx: RuleContext, doc: RepoDocument, path: readonly string[], list: unknown): void {
  if (!Array.isArray(list)) return;
  list.forEach((rule, i) => {
    if (typeof rule !== 'string') return;
    const problem = checkPermissionRule(rule);
    if (problem) ctx.reportAt(doc, [...path, i], 'permission-rule', 'error', `invalid permission rule "${rule}": ${problem} (Claude Code drops it)`);
  });
}

export const permissionRule: Rule = {
  findings: { 'permission-rule': 'a Claude Code permission rule that Claude Code would drop' },
  description: 'Claude Code permission rules are well-formed (Tool or Tool(specifier); MCP rules without parentheses)',
  check(ctx) {
    for (const occ of occurrences(ctx, 'settings')) {
      const perms = occ.value['permissions'] as LayerMap | undefined;
      if (!perms || typeof perms !== 'object') continue;
      for (const k of SETTINGS_LISTS) checkList(ctx, occ.doc, [...occ.path, 'permissions', k], perms[k]);
    }
    const policies = [...ctx.ofKind('security').map((doc) => ({ doc, path: [] as string[], value: doc.value as LayerMap })), ...occurrences(ctx, 'security')];
    for (const occ of policies) {
      const perms = occ.value?.['permissions'] as LayerMap | undefined;
      if (!perms || typeof perms !== 'object') continue;
      for (const k of POLICY_LISTS) checkList(ctx, occ.doc, [...occ.path, 'permissions', k], perms[k]);
    }
  },
};

/**
 * The validation rules, in the order they run. A new check is a new Rule
 * added here; the driver (index.ts) does not change.
 */
import type { Rule } from './rule.js';
import { lookalikeKeysRule, orgSchemaRule, schemaRule, settingsKeysRule, yamlRule } from './rules/documents.js';
import { nullValueRule } from './rules/nulls.js';
import { permissionRule } from './rules/permissions.js';
import { environmentReferenceRule, mcpReferenceRule, memberReferenceRule, personaReferenceRule } from './rules/references.js';
import { mergedRule } from './rules/merged.js';
import { policyRule } from './rules/policy.js';
import { harnessRule } from './rules/harnesses.js';
import { secretsRule } from './rules/secrets.js';
import { repoEntriesRule } from './rules/repo-entries.js';
import { trustRule } from './rules/trust.js';

export const RULES: readonly Rule[] = [
  repoEntriesRule,
  yamlRule,
  orgSchemaRule,
  schemaRule,
  settingsKeysRule,
  lookalikeKeysRule,
  permissionRule,
  nullValueRule,
  mcpReferenceRule,
  memberReferenceRule,
  environmentReferenceRule,
  personaReferenceRule,
  mergedRule,
  policyRule,
  harnessRule,
  trustRule,
  secretsRule,
];

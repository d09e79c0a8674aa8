/**
 * Document rules: YAML syntax (with duplicate keys and bad tags), documents
 * the layout does not know, JSON Schema of every document kind (ours and the
 * org's `schemas/`), and settings keys Claude Code does not know.
 */
import { KNOWN_PERMISSIONS_KEYS, KNOWN_SETTINGS_KEYS, SCHEMA_KINDS, suggestion, type SchemaKind } from '../../schema/index.js';
import { MCP_SERVER_PROPERTIES } from '../../schema/mcp.js';
import { PERSONA_PROPERTIES, WORKFLOW_PROPERTIES } from '../../schema/persona.js';
import { DROPPED_WHEN_BAD, HOOK_TYPES, MATCHER_GROUP_KEYS, SETTINGS_OBJECT_KEYS } from '../../schema/settings.js';
import type { RepoDocument } from '../../repo/repo.js';
import { isMap, type LayerMap } from '../../provenance/tree.js';
import { ClaudeEnvError } from '../../errors.js';
import { pointerPath, schemaInput, type Rule, type RuleContext } from '../rule.js';
import { occurrences } from '../sections.js';

export const yamlRule: Rule = {
  findings: {
    'yaml-syntax': 'YAML syntax error',
    'yaml-duplicate-key': 'a key appears twice in one mapping',
    'yaml-tag': 'a YAML tag that claude-env does not know',
    'yaml-key': 'a mapping key that is not a plain scalar',
    'unsafe-key': 'a key that could pollute object prototypes (__proto__, constructor, prototype)',
    'yaml-alias-limit': 'aliases that would expand past the bound of one document (100,000 nodes or 4 MiB of text added): a "billion laughs"',
    'yaml-alias-cycle': 'an alias inside the node it stands for: it would expand without end',
    'document-too-large': 'a YAML document larger than 512 KiB, or with more than 100,000 nodes',
    'secret-ref': 'a malformed !secret or !encrypted value',
    'unmapped-document': 'a YAML file in a layer folder that the layout has no place for',
  },
  description: 'YAML syntax, duplicate keys, tags and keys; documents in places the layout does not know',
  check(ctx) {
    for (const doc of ctx.documents) {
      for (const f of doc.findings) ctx.report(f);
      if (doc.place.unmapped) {
        ctx.report({ rule: 'unmapped-document', severity: 'warning', file: doc.path, line: 1, column: 1, message: 'the config repo layout has no place for this document, so it is never merged' });
      }
    }
  },
};

export const orgSchemaRule: Rule = {
  findings: { 'org-schema-load': "an org schema in schemas/ that cannot be loaded" },
  description: "loads the org's JSON Schemas from schemas/<kind>.schema.json (or .json, .yml) for the schema rule",
  check(ctx) {
    const files = ctx.repo.source.list('schemas').filter((p) => /\.(json|ya?ml)$/.test(p) && p.split('/').length === 2);
    for (const path of files) {
      const kind = path.slice('schemas/'.length).replace(/(\.schema)?\.(json|ya?ml)$/, '');
      if (!(SCHEMA_KINDS as readonly string[]).includes(kind)) {
        ctx.report({ rule: 'org-schema-load', severity: 'warning', file: path, line: 1, column: 1, message: `no document kind "${kind}"; name org schemas <kind>.schema.json with a kind among: ${SCHEMA_KINDS.join(', ')}` });
        continue;
      }
      let schema: unknown;
      if (path.endsWith('.json')) {
        try {
          schema = JSON.parse(new TextDecoder().decode(ctx.repo.readFile(path)));
        } catch (err) {
          ctx.report({ rule: 'org-schema-load', severity: 'error', file: path, line: 1, column: 1, message: `not valid JSON: ${(err as Error).message}` });
          continue;
        }
      } else {
        const doc = ctx.repo.document(path);
        if (!doc || doc.value === undefined) continue; // YAML errors are reported by the yaml rule
        schema = schemaInput(doc.value);
      }
      try {
        ctx.schemas.addOrgSchema(kind, schema as object, path);
      } catch (err) {
        ctx.report({ rule: 'org-schema-load', severity: 'error', file: path, line: 1, column: 1, message: err instanceof ClaudeEnvError ? err.message.replace(`${path}: `, '') : String(err) });
      }
    }
  },
};

export const schemaRule: Rule = {
  findings: {
    schema: 'a value that does not match the JSON Schema of its document kind',
    'unknown-key': 'a key the document kind does not have',
    'org-schema': "a value that does not match one of the org's own schemas",
  },
  description: 'JSON Schema of every document kind (shipped, plus the org schemas)',
  check(ctx) {
    for (const doc of ctx.documents) {
      if (doc.value === undefined || doc.place.kind === 'other-yaml') continue;
      for (const issue of ctx.schemas.validateDocument(doc.place.kind as SchemaKind, schemaInput(doc.value))) {
        const unknown = issue.keyword === 'additionalProperties' && issue.key !== undefined;
        // Unknown and badly named keys point at the key itself.
        const atKey = issue.key !== undefined && (unknown || issue.keyword === 'propertyNames');
        const path = [...pointerPath(issue.pointer), ...(atKey ? [issue.key!] : [])];
        // A name that cannot become a path is reported where the document loaded (repo/names.ts): once is enough.
        if (issue.keyword === 'propertyNames') {
          const at = ctx.locate(doc, path, true);
          if (ctx.hasErrorAt(doc.path, at.line, at.column)) continue;
        }
        const rule = issue.source ? 'org-schema' : unknown ? 'unknown-key' : 'schema';
        const message = issue.source ? `${issue.message} (${issue.source})` : issue.message;
        ctx.reportAt(doc, path, rule, 'error', message, atKey);
      }
    }
  },
};

export const settingsKeysRule: Rule = {
  findings: {
    'settings-unknown-key': 'a settings key that Claude Code does not know (it ignores it)',
    'permissions-unknown-key': 'a key inside `permissions` that Claude Code does not know: it ignores it, and every rule under it',
    'settings-value-dropped': 'a settings value Claude Code drops alone (it keeps the rest of the file), such as an unknown effortLevel',
  },
  description: 'settings keys that Claude Code does not know (it ignores them, so a typo does nothing; inside `permissions` a typo drops a whole rule list)',
  check(ctx) {
    for (const occ of occurrences(ctx, 'settings')) {
      for (const key of Object.keys(occ.value)) {
        if (KNOWN_SETTINGS_KEYS.has(key)) continue;
        ctx.reportAt(occ.doc, [...occ.path, key], 'settings-unknown-key', 'warning', `Claude Code has no setting "${key}"${suggestion(key, [...KNOWN_SETTINGS_KEYS])}`, true);
      }
      for (const [key, { takes, what }] of Object.entries(DROPPED_WHEN_BAD)) {
        const v = occ.value[key];
        if (v !== undefined && v !== null && !takes(v)) ctx.reportAt(occ.doc, [...occ.path, key], 'settings-value-dropped', 'warning', `Claude Code drops ${key} ${JSON.stringify(v)} and keeps the rest of the file: it takes ${what}`);
      }
      const perms = occ.value['permissions'];
      if (!isMap(perms)) continue;
      // Claude Code keeps unknown keys of `permissions` and reads none of them (its schema passes them through):
      // `denny: [...]` denies nothing. An error, since a dropped deny list is a hole nobody sees.
      for (const [key, value] of Object.entries(perms as LayerMap)) {
        if (KNOWN_PERMISSIONS_KEYS.has(key)) continue;
        const rules = Array.isArray(value) ? ` and the ${value.length} rule(s) under it` : '';
        ctx.reportAt(occ.doc, [...occ.path, 'permissions', key], 'permissions-unknown-key', 'error', `Claude Code has no permissions key "${key}": it ignores it${rules}${suggestion(key, [...KNOWN_PERMISSIONS_KEYS])}`, true);
      }
    }
  },
};

type Entries = { doc: RepoDocument; path: readonly string[]; entry: LayerMap }[];

/** Each entry of a section's maps (personas, workflows, MCP servers), and the documents that define one entry each. */
function entriesOf(ctx: RuleContext, section: 'personas' | 'workflows' | 'mcpServers', single?: 'persona' | 'mcp-server'): Entries {
  const out: Entries = [];
  for (const occ of occurrences(ctx, section)) {
    for (const [name, entry] of Object.entries(occ.value)) if (isMap(entry)) out.push({ doc: occ.doc, path: [...occ.path, name], entry: entry as LayerMap });
  }
  if (single) for (const doc of ctx.ofKind(single)) if (isMap(doc.value)) out.push({ doc, path: [], entry: doc.value as LayerMap });
  return out;
}

/** The hook handlers and matcher groups of every `hooks` map under `settings`. */
function hookEntries(ctx: RuleContext): { groups: Entries; handlers: (Entries[number] & { type: string })[] } {
  const groups: Entries = [];
  const handlers: (Entries[number] & { type: string })[] = [];
  for (const occ of occurrences(ctx, 'settings')) {
    const hooks = occ.value['hooks'];
    if (!isMap(hooks)) continue;
    for (const [event, list] of Object.entries(hooks as LayerMap)) {
      if (!Array.isArray(list)) continue;
      list.forEach((group, g) => {
        if (!isMap(group)) return;
        const at = [...occ.path, 'hooks', event, String(g)];
        groups.push({ doc: occ.doc, path: at, entry: group as LayerMap });
        const inner = (group as LayerMap)['hooks'];
        if (Array.isArray(inner)) {
          inner.forEach((handler, h) => {
            const type = isMap(handler) ? (handler as LayerMap)['type'] : undefined;
            if (typeof type === 'string' && HOOK_TYPES[type]) handlers.push({ doc: occ.doc, path: [...at, 'hooks', String(h)], entry: handler as LayerMap, type });
          });
        }
      });
    }
  }
  return { groups, handlers };
}

/**
 * A key that Claude Code does not know and that looks like one it does
 * (`tols` for `tools`, `comand` for `command`), in a persona, a workflow, an
 * MCP server or a hook: Claude Code ignores it, so the field the author meant
 * does nothing. Other unknown keys are kept without a word (SuperClaude's
 * agents carry `category`, hooks a `description`), as Claude Code keeps them.
 */
export const lookalikeKeysRule: Rule = {
  findings: {
    'frontmatter-unknown-key': 'a persona or workflow key Claude Code does not know that looks like a typo of one it does',
    'mcp-unknown-key': 'an MCP server key Claude Code does not know that looks like a typo of one it does',
    'hook-unknown-key': 'a hook handler or matcher key Claude Code does not know that looks like a typo of one it does',
  },
  description: 'keys of personas, workflows, MCP servers and hooks that look like typos of the fields Claude Code reads (it ignores them)',
  check(ctx) {
    const check = (entries: Entries, known: readonly string[], rule: string, what: string, elsewhere?: (key: string) => string | undefined): void => {
      for (const { doc, path, entry } of entries) {
        for (const key of Object.keys(entry)) {
          if (known.includes(key) || key === '$delete') continue;
          const hint = suggestion(key, known);
          const other = hint ? undefined : elsewhere?.(key);
          if (hint) ctx.reportAt(doc, [...path, key], rule, 'warning', `Claude Code has no ${what} field "${key}" (it would ignore it)${hint}`, true);
          else if (other) ctx.reportAt(doc, [...path, key], rule, 'warning', `"${key}" is a field of ${other} hooks: Claude Code ignores it on a ${what}`, true);
        }
      }
    };
    check(entriesOf(ctx, 'personas', 'persona'), Object.keys(PERSONA_PROPERTIES), 'frontmatter-unknown-key', 'agent');
    check(entriesOf(ctx, 'workflows'), [...Object.keys(WORKFLOW_PROPERTIES), 'steps'], 'frontmatter-unknown-key', 'command');
    check(entriesOf(ctx, 'mcpServers', 'mcp-server'), Object.keys(MCP_SERVER_PROPERTIES), 'mcp-unknown-key', 'MCP server');
    const { groups, handlers } = hookEntries(ctx);
    check(groups, MATCHER_GROUP_KEYS, 'hook-unknown-key', 'hook matcher');
    const ownerOf = (key: string): string | undefined => Object.keys(HOOK_TYPES).find((t) => key in HOOK_TYPES[t]!);
    for (const type of Object.keys(HOOK_TYPES)) check(handlers.filter((h) => h.type === type), Object.keys(HOOK_TYPES[type]!), 'hook-unknown-key', `${type} hook`, ownerOf);
    const nested: Entries = [];
    for (const occ of occurrences(ctx, 'settings')) {
      for (const key of Object.keys(SETTINGS_OBJECT_KEYS)) {
        const v = occ.value[key];
        if (isMap(v)) nested.push({ doc: occ.doc, path: [...occ.path, key], entry: v as LayerMap });
      }
    }
    for (const key of Object.keys(SETTINGS_OBJECT_KEYS)) check(nested.filter((n) => n.path.at(-1) === key), SETTINGS_OBJECT_KEYS[key]!, 'settings-unknown-key', key);
  },
};

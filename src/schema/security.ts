/**
 * Security policy documents (docs/config-repo.md): rules claude-env checks
 * (required and forbidden permission rules and modes, an MCP allowlist,
 * credential handling) and `enforce.settings`, managed settings in the
 * Claude Code settings shape.
 */
import {
  arrayOf,
  boolean,
  closedObject,
  enumOf,
  nonEmptyString,
  stringList,
  withMessages,
  type Schema,
} from './common.js';
import { PERMISSION_MODES, settingsRef } from './settings.js';
import { TRUST_LAYERS } from '../vocabulary.js';

const allowlistEntry = withMessages(
  {
    ...closedObject({ name: nonEmptyString, command: nonEmptyString, url: nonEmptyString }),
    oneOf: [{ required: ['name'] }, { required: ['command'] }, { required: ['url'] }],
  },
  { oneOf: 'must have exactly one of: name, command, url' },
);

export function securitySchema(complete: boolean): Schema {
  return closedObject({
    permissions: closedObject({
      required_deny: stringList,
      forbidden_allow: stringList,
      forbidden_modes: arrayOf(enumOf(PERMISSION_MODES)),
    }),
    mcp: closedObject({ allowlist: arrayOf(allowlistEntry), require_https: boolean }),
    env: closedObject({ credential_patterns: stringList, credentials_must_be_secret: boolean }),
    enforce: closedObject({ settings: settingsRef(complete) }),
    // The only layers whose executable content (hooks, status line, helpers, MCP stdio command/args/env,
    // inline shell of workflows, executable or script overlay files) a target accepts.
    executables: closedObject({ from: { type: 'array', items: { enum: [...TRUST_LAYERS] }, uniqueItems: true } }),
  });
}

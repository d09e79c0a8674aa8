/**
 * MCP server entries in the repo's form (docs/config-repo.md): Claude Code's
 * stdio/http/sse entry (CLAUDE-CODE.md §4.1) plus claude-env's `enabled`,
 * `expect` and `description`. The complete form is what a defining document
 * (base/mcp/<name>.yml) and the merged tree must hold; the partial form is an
 * overlay (mcp-servers documents) that a lower layer completes.
 */
import {
  arrayOf,
  boolean,
  closedObject,
  enumOf,
  envMap,
  mapOf,
  MCP_SERVER_NAME,
  nonEmptyString,
  nonNegativeInteger,
  openObject,
  positiveInteger,
  matching,
  string,
  stringList,
  stringMap,
  withMessages,
  type Schema,
} from './common.js';

/**
 * Every key of Claude Code's MCP server entries (2.1.0 to 2.1.332: stdio,
 * http/streamable-http, sse, ws; test/claude-code-keys.test.ts compares
 * them), typed as it types them, plus claude-env's own `enabled`, `expect`
 * and `description`. Claude Code ignores a key it does not know, so an
 * entry may carry others: they are kept and written as they are (a
 * look-alike of a known key is a warning, rules/documents.ts).
 */
export const MCP_SERVER_PROPERTIES: Record<string, Schema> = {
  type: enumOf(['stdio', 'http', 'streamable-http', 'sse', 'ws']),
  command: nonEmptyString,
  args: stringList,
  env: envMap,
  url: nonEmptyString,
  headers: stringMap,
  headersHelper: string,
  oauth: openObject({
    clientId: string,
    callbackPort: positiveInteger,
    authServerMetadataUrl: matching('^https://', 'must be an https:// URL'),
    scopes: nonEmptyString,
    xaa: boolean,
  }),
  timeout: positiveInteger,
  request_timeout_ms: positiveInteger,
  alwaysLoad: boolean,
  tools: arrayOf(openObject({ name: string, permission_policy: enumOf(['always_allow', 'always_ask', 'always_deny']) }, ['name'])),
  toolPermissions: { type: 'object', additionalProperties: enumOf(['allow', 'ask', 'blocked']) },
  displayName: string,
  // Known to Claude Code 2.1.332, internal and undocumented: kept as written.
  bareElicitationCapability: {},
  discoveryCache: {},
  role: {},
  enabled: boolean,
  expect: closedObject({
    tools: stringList,
    min_tools: nonNegativeInteger,
    max_latency_ms: { type: 'number', exclusiveMinimum: 0 },
  }),
  description: string,
};
/** The keys only remote (http, sse, ws) servers have, besides `url` (a stdio entry with a url has its own message). */
const REMOTE_ONLY = ['headers', 'headersHelper', 'oauth', 'tools', 'toolPermissions'] as const;

const notAllowed = (message: string): Schema => withMessages({ not: {} }, { not: message });
const onlyStdio = notAllowed('is only for stdio servers; this one is remote (http, sse or ws)');
const onlyRemote = notAllowed('is only for http, sse and ws servers; set type: http, sse or ws');
/** Claude Code parses an entry without `type` as stdio and skips it when it has a url but no command (§4.1). */
const urlNeedsType = notAllowed(
  'needs type: http or sse; without it Claude Code reads the entry as stdio and skips it',
);

export const mcpServerPartial: Schema = openObject(MCP_SERVER_PROPERTIES);

export const mcpServerComplete: Schema = {
  ...mcpServerPartial,
  allOf: [
    {
      if: { required: ['type'], properties: { type: { enum: ['http', 'streamable-http', 'sse', 'ws'] } } },
      then: { required: ['url'], properties: { command: onlyStdio, args: onlyStdio, env: onlyStdio } },
    },
    {
      // stdio, written or implied (no type)
      if: { properties: { type: { const: 'stdio' } } },
      then: {
        if: { required: ['url'] },
        then: { properties: { url: urlNeedsType } },
        else: { required: ['command'], properties: Object.fromEntries(REMOTE_ONLY.map((k) => [k, onlyRemote])) },
      },
    },
  ],
};

export const mcpServersPartial: Schema = mapOf(mcpServerPartial, MCP_SERVER_NAME);
export const mcpServersComplete: Schema = mapOf(mcpServerComplete, MCP_SERVER_NAME);

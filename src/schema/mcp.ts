/**
 * MCP server entries in the repo's form (docs/config-repo.md): Claude Code's
 * stdio/http/sse entry (CLAUDE-CODE.md §4.1) plus claude-env's `enabled`,
 * `expect` and `description`. The complete form is what a defining document
 * (base/mcp/<name>.yml) and the merged tree must hold; the partial form is an
 * overlay (mcp-servers documents) that a lower layer completes.
 */
import {
  boolean,
  closedObject,
  enumOf,
  envMap,
  mapOf,
  MCP_SERVER_NAME,
  nonEmptyString,
  nonNegativeInteger,
  string,
  stringList,
  stringMap,
  withMessages,
  type Schema,
} from './common.js';

const MCP_SERVER_PROPERTIES: Record<string, Schema> = {
  type: enumOf(['stdio', 'http', 'sse']),
  command: nonEmptyString,
  args: stringList,
  env: envMap,
  url: nonEmptyString,
  headers: stringMap,
  timeout: { type: 'integer', exclusiveMinimum: 0 },
  enabled: boolean,
  expect: closedObject({
    tools: stringList,
    min_tools: nonNegativeInteger,
    max_latency_ms: { type: 'number', exclusiveMinimum: 0 },
  }),
  description: string,
};

const notAllowed = (message: string): Schema => withMessages({ not: {} }, { not: message });
const onlyStdio = notAllowed('is only for stdio servers; this one is type http or sse');
const onlyRemote = notAllowed('is only for http and sse servers; set type: http or sse');
/** Claude Code parses an entry without `type` as stdio and skips it when it has a url but no command (§4.1). */
const urlNeedsType = notAllowed(
  'needs type: http or sse; without it Claude Code reads the entry as stdio and skips it',
);

export const mcpServerPartial: Schema = closedObject(MCP_SERVER_PROPERTIES);

export const mcpServerComplete: Schema = {
  ...mcpServerPartial,
  allOf: [
    {
      if: { required: ['type'], properties: { type: { enum: ['http', 'sse'] } } },
      then: { required: ['url'], properties: { command: onlyStdio, args: onlyStdio, env: onlyStdio } },
    },
    {
      // stdio, written or implied (no type)
      if: { properties: { type: { const: 'stdio' } } },
      then: {
        if: { required: ['url'] },
        then: { properties: { url: urlNeedsType } },
        else: { required: ['command'], properties: { headers: onlyRemote } },
      },
    },
  ],
};

export const mcpServersPartial: Schema = mapOf(mcpServerPartial, MCP_SERVER_NAME);
export const mcpServersComplete: Schema = mapOf(mcpServerComplete, MCP_SERVER_NAME);

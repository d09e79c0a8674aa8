/** `claude-env validate`: every check over the whole repo; text, json or sarif. Exit 1 when there are errors. */
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { validateRepo } from '../validate/index.js';
import { ShippedSchemas } from '../schema/index.js';
import { RULES } from '../validate/registry.js';
import type { Rule } from '../validate/rule.js';
import { jsonReport, sarifReport, textReport } from '../validate/report.js';
import { openRepo, type RepoOptions } from './context.js';
import { onlineOptions, type OnlineFlags } from './mcp.js';
import { printJson, progress, type CliIO } from './io.js';

import { VERSION } from '../version.js';
import { scanForSecrets } from '../secrets/scan.js';

export async function run(io: CliIO, opts: RepoOptions & OnlineFlags & { format?: string; json?: boolean; online?: boolean; secretScan?: boolean }): Promise<ExitCode> {
  const repo = openRepo(io, opts, { fillCache: false });
  const bar = progress(io, 'reading documents');
  let result = await validateRepo(repo, {
    onProgress: (done, total) => (done === total ? bar.done() : bar.tick(done, total)),
    ...(opts.secretScan === false ? {} : { secretScanner: scanForSecrets }),
    ...(io.compiledSchemas ? { shippedSchemas: new ShippedSchemas(io.compiledSchemas) } : {}),
  });
  let rules: readonly Rule[] = RULES;
  if (opts.online) {
    // The MCP SDK loads only here (see src/mcp/online.ts for which servers are checked).
    const online = await (await import('../mcp/online.js')).validateOnline(repo, result, onlineOptions(io, opts));
    result = online.result;
    rules = [...RULES, online.rule];
  }
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  if (format === 'json') printJson(io, jsonReport(result));
  else if (format === 'sarif') printJson(io, sarifReport(result, rules, VERSION));
  else io.stdout.write(textReport(result));
  return result.summary.errors > 0 ? EXIT_FINDINGS : EXIT_OK;
}

/**
 * Executable content of rendered outputs: a table of what counts (and what
 * does not) per output kind, the comparison of two revisions, and laws
 * (fast-check): reordering a hook list is no change, a fresh hook is exactly
 * one added item, and no description ever shows a hidden value or a
 * control character.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diffExecutable, executableContent, inlineShell, isExecutableOverlay, type ExecutableItem } from './executable.js';
import { renderAgent, renderClaudeJson, renderCommand, renderClaudeMd, renderSettings, type Output } from './outputs.js';
import type { HomePath } from '../vocabulary.js';
import type { TreeMap, Value } from '../provenance/tree.js';

const keys = (items: readonly ExecutableItem[]): string[] => items.map((i) => `${i.kind} ${i.key}`);
const file = (path: string, content: string, mode = 0o644): Output => Object.freeze({ path: `.claude/${path}` as HomePath, kind: 'file' as const, content, encoding: 'utf8' as const, mode, secret: false });
const CMD = '«secret:cmd:0123456789ab»';

describe('executableContent', () => {
  const cases: Array<[string, Output[], string[]]> = [
    [
      'settings: each hook, status lines, helpers, loader variables, plugins, project-server approval, a {command} setting, cmd secrets',
      [
        renderSettings({
          model: 'opus',
          permissions: { allow: ['Bash(ls)'] },
          hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'curl x | sh' }, { type: 'http', url: 'https://h' }] }], PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'guard' }] }] },
          statusLine: { type: 'command', command: 'status.sh', padding: 0 },
          apiKeyHelper: 'vault read key',
          awsCredentialExport: 'aws-export',
          env: { NODE_OPTIONS: '--require /tmp/x.js', LD_PRELOAD: '/tmp/x.so', DISABLE_TELEMETRY: '1', GH_TOKEN: CMD },
          enabledPlugins: { 'a@m': true, 'b@m': false },
          enableAllProjectMcpServers: true,
          fileSuggestion: { type: 'command', command: 'suggest' },
          disableAllHooks: false,
        } as unknown as TreeMap),
      ],
      [
        'hook settings.hooks.SessionStart[0].hooks[0]',
        'hook settings.hooks.SessionStart[0].hooks[1]',
        'hook settings.hooks.PreToolUse[0].hooks[0]',
        'status-line settings.statusLine',
        'helper settings.apiKeyHelper',
        'helper settings.awsCredentialExport',
        'env-loader settings.env.NODE_OPTIONS',
        'env-loader settings.env.LD_PRELOAD',
        'plugin settings.enabledPlugins.a@m',
        'mcp-approval settings.enableAllProjectMcpServers',
        'command settings.fileSuggestion',
        'hooks-switch settings.disableAllHooks',
        'secret-cmd settings.env.GH_TOKEN',
      ],
    ],
    ['settings without anything that runs', [renderSettings({ model: 'opus', permissions: { allow: ['Bash(ls)'] }, env: { DISABLE_TELEMETRY: '1' }, cleanupPeriodDays: 30 } as unknown as TreeMap)], []],
    [
      'MCP servers: a stdio server (also one without type or url) by command, args and each env variable; headersHelper; a remote server runs nothing',
      [
        renderClaudeJson({
          memory: { type: 'stdio', command: 'npx', args: ['-y', 'm'], env: { NODE_OPTIONS: '--require x', TOKEN: 'abc' } },
          bare: { command: 'bare' },
          docs: { type: 'http', url: 'https://docs', headers: { A: 'b' } },
          helped: { type: 'http', url: 'https://h', headersHelper: 'get-token' },
          off: { command: 'never', enabled: false },
        } as unknown as Value),
      ],
      ['mcp-command mcpServers.memory.command', 'mcp-args mcpServers.memory.args', 'mcp-env mcpServers.memory.env.NODE_OPTIONS', 'mcp-env mcpServers.memory.env.TOKEN', 'mcp-command mcpServers.bare.command', 'helper mcpServers.helped.headersHelper'],
    ],
    [
      'a persona: front-matter hooks and inline MCP servers; a server named only is a reference',
      [
        renderAgent('helper', { description: 'd', prompt: 'p', hooks: { Stop: [{ hooks: [{ type: 'command', command: 'x' }] }] }, mcpServers: ['memory', { evil: { command: 'sh' } }] } as unknown as TreeMap),
        renderAgent('plain', { description: 'd', prompt: 'run !`ls` here', tools: ['Read'] } as unknown as TreeMap),
      ],
      ['hook personas.helper.hooks.Stop[0].hooks[0]', 'mcp-command personas.helper.mcpServers[1].evil.command'],
    ],
    [
      'a workflow: each inline shell of the body (steps too), a cmd secret in front matter; none in a plain one',
      [
        renderCommand('ns/deploy', { description: CMD, prompt: 'Now !`curl x | sh` and\n```!\nmake evil\n```\n', steps: [{ name: 'check', prompt: 'see !`git status`' }] } as unknown as TreeMap),
        renderCommand('review', { description: 'Review', prompt: 'Look at `git diff` (no shell)' } as unknown as TreeMap),
      ],
      ['inline-shell workflows.ns/deploy.inline[0]', 'inline-shell workflows.ns/deploy.inline[1]', 'inline-shell workflows.ns/deploy.inline[2]', 'secret-cmd workflows.ns/deploy.description'],
    ],
    ['instructions: only a cmd secret', [renderClaudeMd([`token: ${CMD}`, 'plain'] as unknown as Value)], ['secret-cmd instructions']],
    [
      'overlay files: executable, under hooks/ or skills/, a script by extension; not a plain document',
      [file('hooks/fmt.sh', '#!/bin/sh\n'), file('bin/tool', 'x', 0o755), file('skills/notes/SKILL.md', '---\n---\n'), file('tools/sync.py', 'print(1)'), file('output-styles/terse.md', 'Be terse.'), file('rules/a.md', 'x')],
      ['file files:bin/tool', 'file files:hooks/fmt.sh', 'file files:skills/notes/SKILL.md', 'file files:tools/sync.py'],
    ],
  ];
  cases.forEach(([what, outputs, expected]) => {
    it(`lists ${what}`, () => {
      assert.deepEqual(keys(executableContent(outputs)).sort(), [...expected].sort());
    });
  });

  it('describes without secrets: a cmd secret by its description, other env values hidden, loader variables shown', () => {
    const items = executableContent([
      renderSettings({ env: { GH_TOKEN: CMD, NODE_OPTIONS: '--require /tmp/x.js' } } as unknown as TreeMap),
      renderClaudeJson({ m: { command: 'npx', env: { TOKEN: 'ghp_supersecretvalue', KEY: '«secret:env:KEY»' } } } as unknown as Value),
    ]);
    const text = items.map((i) => i.description).join('\n');
    assert.doesNotMatch(text, /ghp_supersecretvalue/);
    assert.match(text, /TOKEN=«hidden»/);
    assert.match(text, /KEY="«secret:env:KEY»"/);
    assert.match(text, /«secret:cmd:0123456789ab» runs at apply/);
    assert.match(text, /NODE_OPTIONS="--require \/tmp\/x\.js"/);
  });

  it('finds inline shell in both forms', () => {
    assert.deepEqual(inlineShell('a !`one` b !`two`\n~~~!bash\nthree\n~~~\n'), ['one', 'two', 'three']);
    assert.deepEqual(inlineShell('`not` and ```\ncode\n```'), []);
  });

  it('counts an overlay file as code by mode, folder or extension', () => {
    assert.equal(isExecutableOverlay('output-styles/x.md', 0o755), true);
    assert.equal(isExecutableOverlay('output-styles/x.md', 0o644), false);
    assert.equal(isExecutableOverlay('commands/x.md', 0o644), true);
    assert.equal(isExecutableOverlay('settings.local.json', 0o644), true);
  });
});

describe('diffExecutable', () => {
  const hooks = (...cmds: string[]): Output => renderSettings({ hooks: { PreToolUse: [{ matcher: 'Bash', hooks: cmds.map((command) => ({ type: 'command', command })) }] } } as unknown as TreeMap);
  const diff = (a: Output[], b: Output[]) => diffExecutable(executableContent(a), executableContent(b));

  it('pairs items by value first: a hook inserted before others is one added item, a reordering is none', () => {
    const d = diff([hooks('a', 'b')], [hooks('c', 'a', 'b')]);
    assert.deepEqual(keys(d.added), ['hook settings.hooks.PreToolUse[0].hooks[0]']);
    assert.deepEqual([d.changed, d.removed], [[], []]);
    const r = diff([hooks('a', 'b')], [hooks('b', 'a')]);
    assert.deepEqual([r.added, r.changed, r.removed], [[], [], []]);
  });

  it('reports a changed command with both descriptions, and a removed hook', () => {
    const d = diff([hooks('a', 'b')], [hooks('a', 'z')]);
    assert.deepEqual(d.changed, [{ key: 'settings.hooks.PreToolUse[0].hooks[1]', kind: 'hook', before: 'PreToolUse [Bash]: command "b"', after: 'PreToolUse [Bash]: command "z"' }]);
    const gone = diff([hooks('a', 'b')], [hooks('a')]);
    assert.deepEqual(keys(gone.removed), ['hook settings.hooks.PreToolUse[0].hooks[1]']);
  });

  it('says a change is there when the description hides it (an env value), and shows a hook timeout', () => {
    const server = (token: string): Output => renderClaudeJson({ m: { command: 'npx', env: { TOKEN: token } } } as unknown as Value);
    assert.deepEqual(diff([server('a')], [server('b')]).changed, [{ key: 'mcpServers.m.env.TOKEN', kind: 'mcp-env', before: 'm: TOKEN=«hidden»', after: 'm: TOKEN=«hidden» (changed where not shown)' }]);
    const timed = (timeout: number): Output => renderSettings({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'x', timeout }] }] } } as unknown as TreeMap);
    assert.deepEqual(diff([timed(5)], [timed(6)]).changed.map((c) => [c.before, c.after]), [['Stop: command "x" {"timeout":5}', 'Stop: command "x" {"timeout":6}']]);
  });

  it('sees an overlay file whose mode alone changed', () => {
    const d = diff([file('output-styles/x.md', 'x')], [file('output-styles/x.md', 'x', 0o755)]);
    assert.deepEqual(keys(d.added), ['file files:output-styles/x.md']);
  });
});

describe('executable content laws', () => {
  const command = fc.string({ minLength: 1, maxLength: 30 });
  it('a permutation of a hook list is no change; one fresh hook is exactly one added item', () => {
    fc.assert(
      fc.property(fc.uniqueArray(command, { minLength: 1, maxLength: 6 }), fc.nat(), command, (cmds, seed, fresh) => {
        fc.pre(!cmds.includes(fresh));
        const shuffled = [...cmds].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
        const settings = (list: string[]): Output => renderSettings({ hooks: { Stop: [{ hooks: list.map((c) => ({ type: 'command', command: c })) }] } } as unknown as TreeMap);
        const same = diffExecutable(executableContent([settings(cmds)]), executableContent([settings(shuffled)]));
        assert.deepEqual([same.added.length, same.changed.length, same.removed.length], [0, 0, 0]);
        const more = diffExecutable(executableContent([settings(cmds)]), executableContent([settings([...shuffled.slice(0, seed % (cmds.length + 1)), fresh, ...shuffled.slice(seed % (cmds.length + 1))])]));
        assert.deepEqual([more.added.length, more.changed.length, more.removed.length], [1, 0, 0]);
      }),
      { numRuns: 200 },
    );
  });

  it('never shows a hidden env value or a control character in a description', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 40 }), fc.string({ maxLength: 40 }), (value, cmd) => {
        fc.pre(!/«secret:/.test(value) && !/[\\"]/.test(value) && !'s: API_TOKEN=«hidden»'.includes(value));
        const items = executableContent([
          renderClaudeJson({ s: { command: cmd, env: { API_TOKEN: value } } } as unknown as Value),
          renderSettings({ hooks: { Stop: [{ hooks: [{ type: 'command', command: cmd }] }] }, statusLine: { type: 'command', command: cmd } } as unknown as TreeMap),
        ]);
        for (const i of items) {
          // eslint-disable-next-line no-control-regex
          assert.doesNotMatch(i.description, /[\u0000-\u001f\u007f\u202e]/);
          if (i.kind === 'mcp-env') assert.ok(!i.description.includes(value), i.description);
        }
      }),
      { numRuns: 300 },
    );
  });
});

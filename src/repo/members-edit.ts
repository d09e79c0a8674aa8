/**
 * Adding a member to `teams/<team>/members.yml` without disturbing the rest
 * of the file. The `yaml` Document API finds the list and its last entry and
 * writes the new entry; the entry's text is then spliced in after the last
 * one, so every other byte (comments, blank lines, spacing inside flow maps,
 * the order of keys) stays exactly as it was. `yaml`'s own toString would
 * re-space flow collections and comments; it is used only for a file whose
 * list is itself written in flow style (`[...]`).
 */
import { ClaudeEnvError } from '../errors.js';
import { PACKAGE_YAML, parseAst, type Yaml, type YamlModule } from './yaml.js';

export interface NewMember {
  readonly user: string;
  readonly role: string;
  readonly projects: readonly string[];
}

/** A YAML scalar as it must be written (quoted where a plain scalar would read as another type). */
function scalar(lib: YamlModule, s: string): string {
  return lib.stringify(s, { lineWidth: 0 }).trimEnd();
}

function flowEntry(lib: YamlModule, m: NewMember): string {
  const projects = m.projects.length > 0 ? `, projects: [${m.projects.map((p) => scalar(lib, p)).join(', ')}]` : '';
  return `{ user: ${scalar(lib, m.user)}, role: ${scalar(lib, m.role)}${projects} }`;
}

function plainEntry(m: NewMember): Record<string, unknown> {
  return m.projects.length > 0 ? { user: m.user, role: m.role, projects: [...m.projects] } : { user: m.user, role: m.role };
}

/** The text of the file with `m` added as its last member; `text` undefined: a new file. */
export function addMemberText(text: string | undefined, file: string, m: NewMember, yaml: Yaml = PACKAGE_YAML): string {
  const lib = yaml.lib();
  if (text === undefined) return `# ${file}: members of the team, with their role (see access.yml) and assigned projects.\n- ${flowEntry(lib, m)}\n`;
  const { doc, lines } = parseAst(text, yaml);
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    throw new ClaudeEnvError('yaml-syntax', `cannot add a member: ${err.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
  }
  const { isSeq, isMap } = lib;
  const contents = doc.contents;
  const withNewline = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  if (contents === null || (isSeq(contents) && contents.items.length === 0 && !contents.flow)) return `${withNewline}- ${flowEntry(lib, m)}\n`;
  if (!isSeq(contents)) {
    const pos = lines.linePos(contents.range?.[0] ?? 0);
    throw new ClaudeEnvError('members-shape', 'cannot add a member: the file is not a list of members', { file, line: pos.line, column: pos.col });
  }
  if (contents.flow) {
    contents.items.push(doc.createNode(plainEntry(m)));
    return doc.toString({ lineWidth: 0 });
  }
  const last = contents.items[contents.items.length - 1]!;
  const lastNode = last as { range?: [number, number, number] | null; flow?: boolean };
  const valueEnd = lastNode.range?.[1] ?? text.length;
  const nl = text.indexOf('\n', valueEnd);
  const at = nl < 0 ? text.length : nl + 1;
  const start = contents.range?.[0] ?? 0;
  const indent = ' '.repeat(start - (text.lastIndexOf('\n', start - 1) + 1));
  let entry: string;
  if (isMap(last) && !last.flow) {
    const block = lib.stringify([plainEntry(m)], { lineWidth: 0, flowCollectionPadding: false });
    entry = block
      .trimEnd()
      .split('\n')
      .map((l) => `${indent}${l}\n`)
      .join('');
  } else entry = `${indent}- ${flowEntry(lib, m)}\n`;
  const before = nl < 0 ? `${text}\n` : text.slice(0, at);
  const out = `${before}${entry}${text.slice(at)}`;
  // The splice must read back as the old list plus the new member.
  const again = parseAst(out, yaml).doc;
  const items = again.toJS() as unknown[];
  const old = doc.toJS() as unknown[];
  if (again.errors.length > 0 || !Array.isArray(items) || items.length !== old.length + 1 || JSON.stringify(items[items.length - 1]) !== JSON.stringify(plainEntry(m))) {
    throw new ClaudeEnvError('members-edit', 'cannot add the member without rewriting the file: its layout is unusual; add the entry by hand', { file });
  }
  return out;
}

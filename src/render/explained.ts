/** The merged tree with where each value came from: as data by dotted key (`render --explain --json`), and as commented YAML. */
import type { Node as YamlNode } from 'yaml';
import { isMap, joinKeyPath, originAt, toPlain, type Value } from '../provenance/tree.js';
import { PACKAGE_YAML, type Yaml } from '../repo/yaml.js';
import type { Origin } from '../vocabulary.js';

/** Every leaf's origin, by dotted key. */
export function provenanceOf(tree: Value): Record<string, Origin> {
  const out: Record<string, Origin> = {};
  const walk = (v: Value, path: string[]): void => {
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : isMap(v) ? Object.keys(v) : [];
    for (const k of keys) {
      const child = Array.isArray(v) ? v[Number(k)]! : (v as Record<string, Value>)[k]!;
      path.push(k);
      const o = originAt(v as object, Array.isArray(v) ? Number(k) : k);
      if ((Array.isArray(child) && child.length > 0) || (isMap(child) && Object.keys(child).length > 0)) walk(child, path);
      else if (o) out[joinKeyPath(path)] = o;
      path.pop();
    }
  };
  walk(tree, []);
  return out;
}

/** YAML of the merged tree with `# layer file:line:col` after every leaf, printed with `yaml`. */
export function explainedYaml(tree: Value, yaml: Yaml = PACKAGE_YAML): string {
  const { Document, isMap: isYamlMap, isSeq: isYamlSeq, isScalar } = yaml.lib();
  const doc = new Document(toPlain(tree));
  const walk = (node: YamlNode | null, v: Value): void => {
    if (isYamlMap(node) && isMap(v)) {
      for (const pair of node.items) {
        const k = String((pair.key as { value: unknown }).value);
        const child = v[k];
        if (child === undefined) continue;
        const value = pair.value as YamlNode | null;
        if (isScalar(value) || (Array.isArray(child) && child.length === 0) || (isMap(child) && Object.keys(child).length === 0)) {
          const o = originAt(v, k);
          if (o && value) value.comment = ` ${o.layer} ${o.file}:${o.line}:${o.column}`;
        } else walk(value, child);
      }
    } else if (isYamlSeq(node) && Array.isArray(v)) {
      node.items.forEach((item, i) => {
        const child = v[i]!;
        if (isScalar(item)) {
          const o = originAt(v, i);
          if (o) item.comment = ` ${o.layer} ${o.file}:${o.line}:${o.column}`;
        } else walk(item as YamlNode, child);
      });
    }
  };
  walk(doc.contents as YamlNode, tree);
  const text = doc.toString({ lineWidth: 0 });
  return text.endsWith('\n') ? text : `${text}\n`;
}


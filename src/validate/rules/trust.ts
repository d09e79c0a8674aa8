/**
 * The trust rules (src/validate/trust.ts) over every layer document of the
 * repo: `!secret cmd:` outside the layers `secrets.commands_from` names,
 * `security` set outside the admins' layers, and `files/` overlays that
 * would write a file claude-env or Claude Code keeps for itself.
 */
import { filePlaceOf } from '../../repo/layout.js';
import { commandLayers, documentTrustFindings, reservedOverlay } from '../trust.js';
import type { Rule } from '../rule.js';

export const trustRule: Rule = {
  findings: {
    'secret-cmd-layer': '!secret cmd: in a layer that claude-env.yml secrets.commands_from does not name (it would run a command on every machine of the layer)',
    'security-layer': 'the security policy set in a layer other than base/ or environments/',
    'files-reserved': 'a files/ overlay that would write a file claude-env or Claude Code keeps for itself',
  },
  description: 'who may make a machine run what: command secrets, the security policy and reserved file names, by layer',
  check(ctx) {
    const commands = commandLayers(ctx.repo.settings.raw);
    for (const doc of ctx.documents) {
      const layer = doc.place.layer;
      if (layer === undefined || doc.value === undefined) continue;
      for (const f of documentTrustFindings({ layer, file: doc.path, value: doc.value, text: doc.text, rootShaped: doc.place.kind === 'config' }, commands)) ctx.report(f);
    }
    for (const path of ctx.repo.files()) {
      if (!path.includes('/files/')) continue;
      const place = filePlaceOf(path);
      const why = place && reservedOverlay(place.target);
      if (why) ctx.report({ rule: 'files-reserved', severity: 'error', file: path, line: 1, column: 1, message: why });
    }
  },
};

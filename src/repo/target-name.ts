/** How every report names a target: `env/team/user[/project]`. */
import type { Target } from '../vocabulary.js';

export function describeTarget(t: Target): string {
  return [t.env, t.team, t.user, t.project].filter((x) => x !== undefined).join('/');
}

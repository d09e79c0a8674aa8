/** The GitHub workflows of the seed repo (`files/.github/workflows/`): validation, environment sync, drift detection, security scan. */
import { scaffoldFiles } from './index.js';
import type { ScaffoldFile } from './types.js';

export function ciFiles(): ScaffoldFile[] {
  return scaffoldFiles().filter((f) => f.path.startsWith('.github/workflows/'));
}

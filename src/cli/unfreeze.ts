/** `claude-env unfreeze` (admin): the end of the fleet's read-only mode (src/cli/freeze.ts). */
export { unfreeze as run } from './freeze.js';

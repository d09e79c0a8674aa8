/** Attack rows: access (see harness.ts for what every row is checked for). */
import type { AttackRow } from './harness.js';

export const rows: AttackRow[] = [];

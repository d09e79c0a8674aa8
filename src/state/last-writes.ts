/** The machine state's record of what claude-env last left in each file it wrote (MachineState.lastWrites). */
import { sha256 } from '../provenance/hash.js';
import type { LastWrite, MachineState } from './types.js';

/**
 * `state` with the files of one change recorded as that change left them:
 * each file written gets the change's restore point and the hash of its
 * bytes; a file removed is forgotten. Other files keep their record.
 */
export function withLastWrites(state: MachineState, files: ReadonlyArray<{ readonly path: string; readonly bytes?: Uint8Array | undefined }>, point: string): MachineState {
  const lastWrites: Record<string, LastWrite> = { ...state.lastWrites };
  for (const f of files) {
    if (f.bytes === undefined) delete lastWrites[f.path];
    else lastWrites[f.path] = { point, sha256: sha256(f.bytes) };
  }
  return { ...state, lastWrites };
}

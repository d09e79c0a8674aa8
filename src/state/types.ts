/**
 * What claude-env remembers on a machine ($CLAUDE_ENV_HOME/state.json). The
 * types are the core's (drift/types.ts): drift and the apply plan read the
 * state as data; this folder keeps it on disk.
 */
export { EMPTY_STATE, type ActualFile, type ActualSnapshot, type LastWrite, type MachineState, type ManagedOutput } from '../drift/types.js';

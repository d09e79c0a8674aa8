import type { ExitCode } from '../errors.js';
import type { CliIO } from './io.js';
export async function run(_io: CliIO, _o: unknown, _a: string[]): Promise<ExitCode> { throw new Error('not yet'); }

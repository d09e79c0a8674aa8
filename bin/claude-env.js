#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1) makes every start after the first skip compiling our code and its dependencies.
import module from 'node:module';
module.enableCompileCache?.();
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1) makes every start after the first skip compiling our code and its dependencies.
import module from 'node:module';
module.enableCompileCache?.();
// A reader that goes away (`claude-env render | head`) is not an error.
process.stdout.on('error', (err) => (err.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : undefined));
// The bundled CLI (build.mjs) loads a few files instead of dozens.
const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

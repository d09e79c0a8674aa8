#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1) makes every start after the first skip compiling our code and its dependencies.
import module from 'node:module';
module.enableCompileCache?.();

// Node's own modules through require: an ES import of node:fs also loads fs/promises, readline and more (~5 ms).
const require = module.createRequire(import.meta.url);
const { writeSync } = require('node:fs');

/**
 * Output goes straight to the file descriptors: a CLI that prints and exits
 * need not set up Node's stream machinery (~5 ms at every start). Whether
 * it is a terminal is asked only when progress needs to know (node:tty loads
 * node:net). A reader that goes away (`claude-env render | head`) ends the
 * command quietly.
 */
function writer(fd) {
  let tty;
  return {
    get isTTY() {
      return (tty ??= require('node:tty').isatty(fd));
    },
    write(text) {
      let buf = Buffer.from(text);
      while (buf.length > 0) {
        try {
          buf = buf.subarray(writeSync(fd, buf));
        } catch (err) {
          if (err.code === 'EAGAIN') continue;
          if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
          throw err;
        }
      }
    },
  };
}

// The bundled CLI (build.mjs) loads a few files instead of dozens; `drift` and `explain` load one (dist/bundle/hot.js).
const argv = process.argv.slice(2);
const command = argv.find((a) => !a.startsWith('-'));
const hot = (command === 'drift' || command === 'explain') && !argv.includes('--online');
const { main } = await import(hot ? '../dist/bundle/hot.js' : '../dist/bundle/main.js');
// Standard input is read only by the commands that take a value from it (`secret encrypt`).
const stdin = { read: async () => require('node:fs').readFileSync(0, 'utf8') };
process.exitCode = await main(argv, { stdout: writer(1), stderr: writer(2), env: process.env, cwd: process.cwd(), stdin });

#!/usr/bin/env node
// The floor of bench/fleet.mjs: a bare `node:http` JSON hello-world on
// 127.0.0.1 (a free port, printed on stdout as `listening on URL`), with the
// controller's keep-alive timeout. Every request, whatever its path and
// headers, gets 200 `{"hello":"world"}`. It ends on SIGTERM or SIGINT, and
// when its stdin closes (the bench that started it went away).
import { createServer } from 'node:http';

const BODY = Buffer.from('{"hello":"world"}');
const HEADERS = { 'Content-Type': 'application/json', 'Content-Length': String(BODY.length) };

const server = createServer((req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

// A Node v20 primary that holds its copy of a handed-off connection: right
// after it sends a worker a "newconn" (the descriptor goes at once), it
// keeps its loop busy for INTEROP_HOLD_MS, so it reads the worker's answer,
// and closes its copy, only after that. It prints "listening <port>" once
// the worker listens, "held" when the hold ends, and disconnects the
// worker when its stdin ends.
//
// The worker is INTEROP_GO_EXEC (that Go binary, the "http" scenario of
// http_test.go) or, without it, this script: Node's http server answering
// every request in one response.
'use strict';
const cluster = require('cluster');
const http = require('http');

if (cluster.isWorker) {
  http.createServer((req, res) => res.end('node worker')).listen(0, '127.0.0.1');
  return;
}

const hold = Number(process.env.INTEROP_HOLD_MS || 1500);
if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'http' });
const send = w.process.send;
w.process.send = function(message, ...rest) {
  const sent = send.call(this, message, ...rest);
  if (message && message.act === 'newconn') {
    setImmediate(() => {
      const end = Date.now() + hold;
      while (Date.now() < end);
      console.log('held');
    });
  }
  return sent;
};
cluster.on('listening', (worker, address) => console.log('listening', address.port));
cluster.on('exit', (worker, code, signal) => console.log('exit', code, String(signal)));
process.stdin.on('data', () => {});
process.stdin.on('end', () => w.disconnect());

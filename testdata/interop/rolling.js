// A Node v20 primary that replaces its two workers one at a time while it
// keeps asking them (two clients, a new connection per request): it forks
// a successor, and once that listens disconnects the old worker, then the
// next on its exit. The workers are INTEROP_GO_EXEC (that Go binary, the
// "http" scenario of http_test.go: net/http through net.ServeHTTP) or,
// without it, this script with Node's http. It prints "ok <answered>
// errors <JSON list>" and the workers' exits, and exits once they are gone.
'use strict';
const cluster = require('cluster');
const http = require('http');
const net = require('net');

if (cluster.isWorker) {
  http.createServer((req, res) => res.end('worker ' + cluster.worker.id)).listen(0, '127.0.0.1');
  return;
}

if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
const env = { NODECLUSTER_TEST_WORKER: 'http' };
let port = 0;
let listening = 0;
let stop = false;
let ok = 0;
const errors = [];

function ask() {
  if (stop) return;
  const c = net.connect(port, '127.0.0.1');
  let got = '';
  c.on('connect', () => c.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'));
  c.on('data', (d) => { got += d; });
  c.on('error', (e) => errors.push(e.code));
  c.on('close', () => {
    if (got.startsWith('HTTP/1.1 200 OK\r\n')) ok++;
    else errors.push('answer ' + JSON.stringify(got));
    ask();
  });
}

function replace(old) {
  if (old.length === 0) {
    stop = true;
    setTimeout(() => {
      console.log('ok', ok > 0 ? 'some' : 'none', 'errors', JSON.stringify(errors));
      for (const w of Object.values(cluster.workers)) w.disconnect();
    }, 100);
    return;
  }
  const next = cluster.fork(env);
  next.once('listening', () => {
    old[0].once('exit', () => replace(old.slice(1)));
    old[0].disconnect();
  });
}

cluster.on('exit', (w, code, signal) => console.log('exit', code, String(signal)));
cluster.on('listening', (w, address) => {
  port = address.port;
  if (++listening !== 2) return;
  ask();
  ask();
  setTimeout(() => replace(Object.values(cluster.workers)), 200);
});
cluster.fork(env);
cluster.fork(env);

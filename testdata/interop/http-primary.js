// A Node v20 primary that forks two workers (INTEROP_GO_EXEC: that Go
// binary, running the "http" worker scenario of http_test.go, which serves
// net/http through net.ServeHTTP) and sends them HTTP requests, one new
// connection each. It prints one line per answer ("answer <body>"), then
// disconnects the workers and prints how each exited.
'use strict';
const cluster = require('cluster');
const http = require('http');

const requests = Number(process.env.INTEROP_REQUESTS || 8);
const say = (...a) => console.log(a.join(' '));
const goExec = process.env.INTEROP_GO_EXEC;
let listening = 0;
let port = 0;

function get(i) {
  if (i === requests) {
    for (const w of Object.values(cluster.workers)) w.disconnect();
    return;
  }
  const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => { say('answer', res.statusCode, body); get(i + 1); });
  });
  req.on('error', (e) => { say('error', e.code || e.message); process.exitCode = 1; get(i + 1); });
}

cluster.on('listening', (w, a) => {
  port = a.port;
  if (++listening === 2) get(0);
});
cluster.on('exit', (w, code, signal) => say('exit', w.id, code, String(signal), w.exitedAfterDisconnect));
if (goExec) process.execPath = goExec;
for (let i = 0; i < 2; i++) cluster.fork({ NODECLUSTER_TEST_WORKER: 'http' });

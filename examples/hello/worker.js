// A Node v20 worker for examples/hello's Go primary:
//   go run ./examples/hello -port 8000 -exec node examples/hello/worker.js
// It serves the same answer as a Go worker, on $PORT, through the cluster.
'use strict';
const cluster = require('cluster');
const http = require('http');
const body = `hello from worker ${cluster.worker.id} pid ${process.pid}\n`;
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}).listen(+process.env.PORT || 8000);

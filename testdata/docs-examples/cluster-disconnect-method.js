'use strict';
// cluster.disconnect(callback): the worker's HTTP server tells the primary
// 'shutdown' when it gets a request; the primary then disconnects every
// worker and its callback runs once they are all gone. The primary makes
// the request itself.
const cluster = require('node:cluster');
const http = require('node:http');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  // The response and the disconnect race; both are printed once both came.
  let left = 2;
  const lines = [];
  const both = () => { if (--left === 0) lines.forEach((l) => console.log(l)); };
  worker.on('message', (msg) => {
    if (msg === 'shutdown') {
      console.log('primary got shutdown');
      cluster.disconnect(() => {
        lines[1] = `All workers disconnected; worker ${worker.id} isDead ${worker.isDead()} isConnected ${worker.isConnected()}`;
        both();
      });
    }
  });
  worker.on('listening', (address) => {
    http.get({ host: '127.0.0.1', port: address.port, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => { lines[0] = `response: ${body}`; both(); });
    });
  });
  worker.on('exit', (code, signal) => console.log(`worker ${worker.id} exit ${code} ${signal} (disconnected ${left === 0})`));
} else {
  const server = http.createServer((req, res) => {
    process.send('shutdown');
    res.writeHead(200);
    res.end(`Hello World from worker: pid:${process.pid}`);
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`Worker pid:${process.pid} listening on port:${server.address().port}`);
  });
}

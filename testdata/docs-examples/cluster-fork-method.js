'use strict';
// cluster.fork(): two workers; each HTTP request of the primary (two, one
// after the other) is answered by a worker that sends its pid to the
// primary as a number.
const cluster = require('node:cluster');
const http = require('node:http');

if (cluster.isPrimary) {
  let messages = 0;
  let listening = 0;
  for (let i = 0; i < 2; i++) {
    const worker = cluster.fork();
    worker.on('message', (msg) => {
      console.log(`Received message from worker #${worker.id}: pid:${msg} (${typeof msg}, the worker's pid ${msg === worker.process.pid})`);
      if (++messages === 2) cluster.disconnect();
    });
    worker.on('listening', (address) => {
      if (++listening < 2) return;
      const ask = (left) => {
        http.get({ host: '127.0.0.1', port: address.port, agent: false }, (res) => {
          res.resume();
          res.on('end', () => { if (left > 1) ask(left - 1); });
        });
      };
      ask(2);
    });
  }
} else {
  const server = http.createServer((req, res) => {
    process.send(process.pid);
    res.writeHead(200);
    res.end(`Hello World from worker: ${process.pid}`);
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`Worker #${cluster.worker.id} pid:${process.pid} listening on port:${server.address().port}`);
  });
}

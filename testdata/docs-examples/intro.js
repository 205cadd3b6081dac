'use strict';
// The intro: an HTTP server in each of two workers sharing one port; the
// primary asks it twice itself, then disconnects the workers and reports
// each death.
const cluster = require('node:cluster');
const http = require('node:http');

if (cluster.isPrimary) {
  console.log(`Primary pid:${process.pid} is running`);
  for (let i = 0; i < 2; i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening < 2) return;
    let left = 2;
    const ask = () => {
      http.get({ host: '127.0.0.1', port: address.port, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
          console.log(`response ${res.statusCode}: ${JSON.stringify(body)}`);
          if (--left > 0) ask(); else cluster.disconnect();
        });
      });
    };
    ask();
  });
  cluster.on('exit', (worker, code, signal) => {
    console.log(`worker pid:${worker.process.pid} died`);
  });
} else {
  http.createServer((req, res) => {
    res.writeHead(200);
    res.end('hello world\n');
  }).listen(0, '127.0.0.1');
  console.log(`Worker pid:${process.pid} started`);
}

'use strict';
// worker.isDead(): false on 'fork', true on 'exit'. Each worker's HTTP
// server answers once with its pid and then kills itself (SIGTERM); the
// primary asks again only once the first one answered and died.
const cluster = require('node:cluster');
const http = require('node:http');

if (cluster.isPrimary) {
  console.log(`Primary pid:${process.pid} is running`);
  cluster.on('fork', (worker) => {
    console.log(`fork: worker is dead: ${worker.isDead()}`);
  });
  let port;
  let body;
  let exited = 0;
  let waiting = 0;
  const step = () => {
    if (--waiting > 0) return;
    console.log(`response: ${JSON.stringify(body)}`);
    if (exited === 1) ask();
  };
  const ask = () => {
    waiting = 2;
    http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
      body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', step);
    });
  };
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    port = address.port;
    if (++listening === 2) ask();
  });
  cluster.on('exit', (worker, code, signal) => {
    exited++;
    console.log(`exit ${code} ${signal}: worker is dead: ${worker.isDead()}`);
    step();
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  http.createServer((req, res) => {
    res.writeHead(200);
    res.end(`Current process\n pid:${process.pid}`, () => process.kill(process.pid));
  }).listen(0, '127.0.0.1');
}

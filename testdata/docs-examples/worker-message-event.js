'use strict';
// Worker 'message': workers tell the primary of each HTTP request they
// answer with {cmd: 'notifyRequest'}; the primary counts them. The primary
// makes four requests itself, one after the other.
const cluster = require('node:cluster');
const http = require('node:http');

if (cluster.isPrimary) {
  let numReqs = 0;
  let answered = 0;
  const total = 4;
  const maybeDone = () => {
    if (numReqs === total && answered === total) {
      console.log(`done: numReqs = ${numReqs}`);
      cluster.disconnect();
    }
  };
  function messageHandler(msg) {
    if (msg.cmd && msg.cmd === 'notifyRequest') {
      numReqs += 1;
      console.log(`numReqs = ${numReqs}`);
      maybeDone();
    }
  }
  for (let i = 0; i < 2; i++) cluster.fork();
  for (const id in cluster.workers) {
    cluster.workers[id].on('message', messageHandler);
  }
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening < 2) return;
    const ask = () => {
      http.get({ host: '127.0.0.1', port: address.port, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          answered++;
          if (answered < total) ask(); else maybeDone();
        });
      });
    };
    ask();
  });
  cluster.on('exit', (worker, code, signal) => {
    console.log(`worker ${worker.id} exit ${code} ${signal}`);
  });
} else {
  http.Server((req, res) => {
    res.writeHead(200);
    res.end('hello world\n');
    process.send({ cmd: 'notifyRequest' });
  }).listen(0, '127.0.0.1');
}

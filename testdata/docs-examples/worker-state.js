'use strict';
// worker.state through a worker's life, as the primary sees it at each
// event and as the worker sees its own cluster.worker.state (at start and
// in its listen callback, sent to the primary).
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  console.log(`after fork(): ${worker.state}`);
  cluster.on('fork', (w) => console.log(`fork: ${w.state}`));
  worker.on('online', () => console.log(`online: ${worker.state}`));
  worker.on('listening', () => console.log(`listening: ${worker.state}`));
  worker.on('message', (msg) => {
    console.log(`the worker saw: ${JSON.stringify(msg)}`);
    worker.disconnect();
    console.log(`after disconnect(): ${worker.state}`);
  });
  worker.on('disconnect', () => console.log(`disconnect: ${worker.state}`));
  worker.on('exit', () => console.log(`exit: ${worker.state}`));
} else {
  const atStart = cluster.worker.state;
  const server = net.createServer(() => {});
  server.listen(0, '127.0.0.1', () => {
    process.send({ atStart, inListenCallback: cluster.worker.state });
  });
}

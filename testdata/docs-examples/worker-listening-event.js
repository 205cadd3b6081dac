'use strict';
// Worker 'listening': two workers listen on one port; each worker object
// reports its address; once both listen, the primary disconnects them.
// In the worker, cluster.worker never emits 'listening' (nor 'online').
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < 2; i++) {
    const worker = cluster.fork();
    worker.on('listening', (address) => {
      console.log(`worker ${worker.id} listening: addressType ${address.addressType} ` +
                  `address ${address.address} port:${address.port}`);
      if (++listening === 2) cluster.disconnect();
    });
    worker.on('exit', (code, signal) => {
      console.log(`worker ${worker.id} exit ${code} ${signal}`);
    });
  }
} else {
  cluster.worker.on('listening', () => console.log(`worker ${cluster.worker.id}: 'listening' in the worker`));
  cluster.worker.on('online', () => console.log(`worker ${cluster.worker.id}: 'online' in the worker`));
  net.createServer(() => {}).listen(0, '127.0.0.1');
}

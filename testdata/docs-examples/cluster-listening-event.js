'use strict';
// cluster 'listening': two workers on one port, then on a second server
// each; every listen is reported with its address; once all four are
// reported the primary disconnects the workers.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  let n = 0;
  cluster.on('listening', (worker, address) => {
    console.log(`A worker (#${worker.id}) is now connected to ${address.address}:port:${address.port} (addressType ${address.addressType})`);
    if (++n === 4) cluster.disconnect(() => console.log('all disconnected'));
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  const a = net.createServer(() => {});
  a.listen(0, '127.0.0.1', () => {
    net.createServer(() => {}).listen(0);
  });
}

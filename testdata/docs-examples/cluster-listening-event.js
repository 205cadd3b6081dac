'use strict';
// cluster 'listening': two workers on one port, then on a second server
// with no host, then on a Unix socket (DOCS_PIPE) each; every listen is
// reported with its address; once all six are reported the primary
// disconnects the workers.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  let n = 0;
  cluster.on('listening', (worker, address) => {
    const where = String(address.address).replace(process.env.DOCS_PIPE, 'PIPE');
    console.log(`A worker (#${worker.id}) is now connected to ${where}:port:${address.port} (addressType ${address.addressType}, fd ${address.fd})`);
    if (++n === 6) cluster.disconnect(() => console.log('all disconnected'));
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  const a = net.createServer(() => {});
  a.listen(0, '127.0.0.1', () => {
    net.createServer(() => {}).listen(0, () => {
      net.createServer(() => {}).listen(process.env.DOCS_PIPE);
    });
  });
}

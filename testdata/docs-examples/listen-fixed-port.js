'use strict';
// The examples' listen(8000): a fixed port (DOCS_PORT) and no host. Each
// worker sends server.address() to the primary, which prints it; the
// primary reports the 'listening'
// address, then connects over IPv4 and over IPv6 loopback (the port is
// bound on '::'), prints the answers, and disconnects the workers.
const cluster = require('node:cluster');
const net = require('node:net');
const port = Number(process.env.DOCS_PORT);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    console.log(`listening #${worker.id}: address ${address.address} addressType ${address.addressType} port:${address.port}`);
    if (++listening < 2) return;
    const hosts = ['127.0.0.1', '::1'];
    const ask = () => {
      const host = hosts.shift();
      if (host === undefined) {
        cluster.disconnect(() => console.log('disconnected'));
        return;
      }
      let data = '';
      const c = net.connect(port, host);
      c.setEncoding('utf8');
      c.on('data', (d) => { data += d; });
      c.on('error', (err) => console.log(`${host}: ${err.code}`));
      c.on('close', () => {
        console.log(`${host}: ${data.replace(/#\d+/, '#N')}`);
        ask();
      });
    };
    ask();
  });
  cluster.on('message', (worker, a) => {
    console.log(`worker #${worker.id}: server.address() ${a.address} ${a.family} port:${a.port}`);
  });
  cluster.fork();
  cluster.fork();
} else {
  const server = net.createServer((c) => c.end(`answered by worker #${cluster.worker.id}`));
  server.listen(port, () => {
    process.send(server.address());
  });
}

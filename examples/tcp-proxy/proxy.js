// The Node twin of main.go: node proxy.js -workers 2 -port 9000 -upstream 127.0.0.1:7
// (an echo service must listen there; main.go's package doc shows one in Node;
// main_test.go runs both against the same upstream).
const cluster = require('cluster');
const net = require('net');

const flag = (name, def) => {
  const i = process.argv.indexOf('-' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const workers = Number(flag('workers', 2));
const port = Number(flag('port', 9000));
const [host, upPort] = flag('upstream', '127.0.0.1:7').split(':');

if (cluster.isPrimary) {
  cluster.on('listening', (w, addr) => console.log(`worker ${w.id} listening on port ${addr.port}`));
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => cluster.disconnect(() => console.log('primary: all workers gone'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: Number(upPort), host, allowHalfOpen: true });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  }).listen(port);
}

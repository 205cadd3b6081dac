// The node side of TestChannelUnrefdOnceAHandleWasSent
// (channel_unref_test.go): node testdata/unref-after-send.js [handle]
// prints whether the primary exited before or after its worker.
const cluster = require('cluster');
const net = require('net');
if (cluster.isPrimary) {
  const w = cluster.fork();
  const t0 = Date.now();
  process.on('exit', () => console.log('primary exits', Date.now() - t0 < 1500 ? 'before the worker' : 'after the worker'));
  w.on('online', () => {
    w.process.unref();
    if (process.argv[2] === 'handle') {
      const srv = net.createServer().listen(0, '127.0.0.1', () => w.send('server', srv, () => srv.close()));
    } else {
      w.send('hello');
    }
  });
} else {
  process.on('message', () => {});
  setTimeout(() => process.exit(0), 3000);
}

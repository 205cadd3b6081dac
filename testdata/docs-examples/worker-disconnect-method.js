'use strict';
// worker.disconnect() with a 'shutdown' message and a kill timeout. The
// primary holds a connection to each worker open (connections never end by
// themselves). Worker 1 ends its connections on 'shutdown', so its
// disconnect completes and the timeout is cleared; worker 2 ignores the
// message, so its timeout kills it.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  const run = (mode, then) => {
    const worker = cluster.fork({ DOCS_MODE: mode });
    let timeout;
    let client;
    worker.on('listening', (address) => {
      client = net.connect(address.port, '127.0.0.1');
      client.on('error', () => {});
    });
    worker.on('message', (msg) => {
      if (msg !== 'connection') return;
      console.log(`worker ${worker.id} has the connection; sending shutdown and disconnecting`);
      worker.send('shutdown');
      worker.disconnect();
      timeout = setTimeout(() => {
        console.log(`worker ${worker.id}: no disconnect in time, killing it`);
        worker.kill();
      }, 1000);
    });
    worker.on('disconnect', () => {
      console.log(`worker ${worker.id} disconnect`);
      clearTimeout(timeout);
    });
    worker.on('exit', (code, signal) => {
      console.log(`worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`);
      client.destroy();
      then();
    });
  };
  run('graceful', () => run('stubborn', () => {}));
} else {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    process.send('connection');
  });
  server.listen(0, '127.0.0.1');
  process.on('message', (msg) => {
    if (msg === 'shutdown' && process.env.DOCS_MODE === 'graceful') {
      for (const s of sockets) s.end();
    }
  });
}

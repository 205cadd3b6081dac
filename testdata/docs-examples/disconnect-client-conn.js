'use strict';
// worker.disconnect() closes the worker's servers, not its client
// connections, and the worker does not exit while one is open: the worker
// listens on a server and holds a client connection to a server of the
// primary's own. After the disconnect the worker stays alive (checked
// after 300 ms) until the primary ends that connection. (The connection's
// close and the exit race: the exit is printed once both came.)
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  let peer;
  let left = 2;
  let exit;
  const both = () => { if (--left === 0) { console.log(exit); own.close(); } };
  const own = net.createServer((c) => {
    peer = c;
    console.log('primary: the worker connected to the primary\'s server');
    c.on('close', () => { console.log('primary: the worker\'s connection closed'); both(); });
    worker.disconnect();
  });
  own.listen(0, '127.0.0.1');
  const worker = cluster.fork({ DOCS_PORT: 0 });
  worker.on('listening', () => worker.send(own.address().port));
  worker.on('disconnect', () => {
    console.log(`worker ${worker.id} disconnect; isDead ${worker.isDead()}`);
    setTimeout(() => {
      console.log(`300 ms later: isDead ${worker.isDead()}; ending the connection`);
      peer.end();
    }, 300);
  });
  worker.on('exit', (code, signal) => {
    exit = `worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`;
    both();
  });
} else {
  const server = net.createServer(() => {});
  server.on('close', () => console.log('worker: its server closed'));
  server.listen(0, '127.0.0.1');
  process.on('message', (port) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('end', () => { console.log('worker: the primary ended the connection'); c.end(); });
  });
}

'use strict';
// worker.disconnect() closes the worker's servers, not its client
// connections, and the worker does not exit while one is open: the worker
// listens on a server and holds a client connection to a server of the
// primary's own. After the disconnect the worker stays alive (checked
// after 300 ms); worker 1 then exits once the primary ends that
// connection, worker 2 is ended by worker.kill() (no channel left: a plain
// SIGTERM). The connection's close and the exit race: the exit is printed
// once both came.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  let current;
  const own = net.createServer((c) => {
    const { worker, how } = current;
    console.log(`primary: worker ${worker.id} connected to the primary's server`);
    c.on('close', () => { console.log(`primary: worker ${worker.id}'s connection closed`); current.both(); });
    worker.on('disconnect', () => {
      console.log(`worker ${worker.id} disconnect; isDead ${worker.isDead()}`);
      setTimeout(() => {
        console.log(`300 ms later: isDead ${worker.isDead()}; ${how}`);
        if (how === 'end') c.end(); else worker.kill();
      }, 300);
    });
    worker.disconnect();
  });
  const run = (how, then) => {
    const worker = cluster.fork();
    let left = 2;
    let exit;
    current = { worker, how, both: () => { if (--left === 0) { console.log(exit); then(); } } };
    worker.on('listening', () => worker.send(own.address().port));
    worker.on('exit', (code, signal) => {
      exit = `worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`;
      current.both();
    });
  };
  own.listen(0, '127.0.0.1', () => run('end', () => run('kill', () => own.close())));
} else {
  const server = net.createServer(() => {});
  server.on('close', () => console.log(`worker ${cluster.worker.id}: its server closed`));
  server.listen(0, '127.0.0.1');
  process.on('message', (port) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('end', () => { console.log(`worker ${cluster.worker.id}: the primary ended the connection`); c.end(); });
  });
}

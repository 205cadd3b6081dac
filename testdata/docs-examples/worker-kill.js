'use strict';
// worker.kill(): the default signal (SIGTERM) for worker 1, SIGKILL for
// worker 2; both are killed once online, one after the other. Worker 3
// calls cluster.worker.kill() itself (in a worker, kill ends the worker
// after a disconnect).
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const signals = [undefined, 'SIGKILL', 'self'];
  const next = () => {
    if (signals.length === 0) return;
    const signal = signals.shift();
    const worker = cluster.fork();
    if (signal === 'self') {
      worker.on('online', () => {
        console.log(`worker ${worker.id} online; told to kill itself`);
        worker.send('kill');
      });
    } else worker.on('online', () => {
      console.log(`worker ${worker.id} online; kill(${signal === undefined ? '' : signal})`);
      worker.kill(signal);
      console.log(`worker ${worker.id} after kill: isConnected ${worker.isConnected()} isDead ${worker.isDead()}`);
    });
    worker.on('disconnect', () => console.log(`worker ${worker.id} disconnect`));
    worker.on('exit', (code, sig) => {
      console.log(`worker ${worker.id} exit ${code} ${sig} exitedAfterDisconnect ${worker.exitedAfterDisconnect} isDead ${worker.isDead()}`);
      next();
    });
  };
  next();
} else {
  process.on('message', (msg) => {
    if (msg === 'kill') cluster.worker.kill();
  });
}

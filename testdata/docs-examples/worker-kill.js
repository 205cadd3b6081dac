'use strict';
// worker.kill(): the default signal (SIGTERM) for worker 1, SIGKILL for
// worker 2; both are killed once online, one after the other.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const signals = [undefined, 'SIGKILL'];
  const next = () => {
    if (signals.length === 0) return;
    const signal = signals.shift();
    const worker = cluster.fork();
    worker.on('online', () => {
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
}

'use strict';
// cluster 'exit' restarting workers: worker 1 exits with code 1, worker 2
// is killed by SIGTERM, each replaced by a new fork; worker 3 is
// disconnected and not replaced.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let restarts = 0;
  cluster.on('exit', (worker, code, signal) => {
    if (restarts++ < 2) {
      console.log(`worker pid:${worker.process.pid} (#${worker.id}) died (${signal || code}). restarting...`);
      cluster.fork();
    } else {
      console.log(`worker pid:${worker.process.pid} (#${worker.id}) died (${signal || code}). not restarting`);
    }
  });
  cluster.on('online', (worker) => {
    console.log(`worker #${worker.id} online`);
    if (worker.id === 1) worker.send('exit');
    else if (worker.id === 2) worker.process.kill('SIGTERM');
    else worker.disconnect();
  });
  cluster.fork();
} else {
  process.on('message', (msg) => {
    if (msg === 'exit') process.exit(1);
  });
}

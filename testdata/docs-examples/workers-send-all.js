'use strict';
// Iterating cluster.workers to send to every worker: once both are online,
// the primary sends an announcement to each; each worker answers with its
// id and the message, then the primary disconnects them.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let online = 0;
  let answers = 0;
  cluster.on('online', () => {
    if (++online < 2) return;
    for (const worker of Object.values(cluster.workers)) {
      worker.send('big announcement to all workers');
    }
  });
  cluster.on('message', (worker, msg) => {
    console.log(`worker #${worker.id} answered ${JSON.stringify(msg)}`);
    if (++answers === 2) cluster.disconnect(() => console.log(`disconnected; workers left ${Object.keys(cluster.workers).length}`));
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  process.on('message', (msg) => process.send({ id: cluster.worker.id, got: msg }));
}

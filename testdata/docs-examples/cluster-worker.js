'use strict';
// cluster.worker: the primary has none; each worker prints its id and
// whether cluster.worker is the worker of its process, then disconnects
// itself with cluster.worker.disconnect().
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  console.log(`I am primary; cluster.worker ${cluster.worker} isPrimary ${cluster.isPrimary} isWorker ${cluster.isWorker}`);
  let online = 0;
  cluster.on('online', () => {
    if (++online === 2) for (const w of Object.values(cluster.workers)) w.send('go');
  });
  cluster.on('exit', (worker, code, signal) => console.log(`worker #${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`));
  cluster.fork();
  cluster.fork();
} else if (cluster.isWorker) {
  process.on('message', () => {
    console.log(`I am worker #${cluster.worker.id}; isPrimary ${cluster.isPrimary} isWorker ${cluster.isWorker} state ${cluster.worker.state}`);
    cluster.worker.disconnect();
  });
}

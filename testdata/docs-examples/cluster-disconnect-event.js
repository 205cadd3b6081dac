'use strict';
// cluster 'disconnect': two workers, each disconnected once online.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.on('online', (worker) => worker.disconnect());
  cluster.on('disconnect', (worker) => {
    console.log(`The worker #${worker.id} has disconnected`);
  });
  cluster.on('exit', (worker, code, signal) => console.log(`worker ${worker.id} exit ${code} ${signal}`));
  for (let i = 0; i < 2; i++) cluster.fork();
}

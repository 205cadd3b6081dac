'use strict';
// Worker 'online': each of two workers reports online on its own worker
// object; once both are online the primary disconnects them.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let online = 0;
  for (let i = 0; i < 2; i++) {
    const worker = cluster.fork();
    worker.on('online', () => {
      console.log(`worker ${worker.id} is online, state ${worker.state}`);
      if (++online === 2) cluster.disconnect();
    });
    worker.on('exit', (code, signal) => {
      console.log(`worker ${worker.id} exit ${code} ${signal}`);
    });
  }
}

'use strict';
// cluster 'message': both workers send a message once online; the cluster
// object sees (worker, message, handle).
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let n = 0;
  cluster.on('message', (worker, message, handle) => {
    console.log(`message from worker #${worker.id}: ${JSON.stringify(message)} handle ${handle}`);
    if (++n === 2) cluster.disconnect();
  });
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  process.send({ from: Number(cluster.worker.id), text: 'hello primary' });
}

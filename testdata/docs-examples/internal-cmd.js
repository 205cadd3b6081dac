'use strict';
// The 'message' events carry the program's messages only: a message whose
// cmd starts with 'NODE_' is an internal one (child_process), both ways,
// and is never a 'message' (not even {cmd: 'NODE_CLUSTER'} without an
// act); 'NODE' and 'NODEX' are ordinary. The worker reports what it got.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  worker.on('message', (msg) => {
    console.log(`primary got ${JSON.stringify(msg)}`);
    if (msg.last) worker.disconnect();
  });
  cluster.on('message', (w, msg) => console.log(`cluster 'message' ${JSON.stringify(msg)}`));
  worker.on('exit', (code, signal) => console.log(`worker exit ${code} ${signal}`));
  worker.on('online', () => {
    for (const cmd of ['NODE_toWorker', 'NODEX', 'node_lower']) worker.send({ cmd });
    worker.send({ done: true });
  });
} else {
  const seen = [];
  process.on('message', (msg) => {
    if (!msg.done) {
      seen.push(msg);
      return;
    }
    for (const cmd of ['NODE_custom', 'NODE', 'NODEX', 'NODE_CLUSTER', 5]) process.send({ cmd });
    process.send({ seen, last: true });
  });
}

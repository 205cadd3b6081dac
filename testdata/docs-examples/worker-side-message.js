'use strict';
// Worker 'message' within a worker: cluster.worker emits the primary's
// messages as process does (cluster.worker's listener first), and
// cluster.worker.send() is process.send(). Internal cluster messages are
// seen by neither.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let answers = 0;
  cluster.on('online', (worker) => worker.send({ ping: worker.id }));
  cluster.on('message', (worker, msg) => {
    console.log(`primary: worker #${worker.id} answered ${JSON.stringify(msg)}`);
    if (++answers === 2) cluster.disconnect();
  });
  cluster.fork();
  cluster.fork();
} else {
  const id = cluster.worker.id;
  let seen = 0;
  const both = () => {
    if (++seen === 2) cluster.worker.send({ pong: id, same: cluster.worker.process === process });
  };
  process.on('message', (msg) => { console.log(`worker #${id}: process 'message' ${JSON.stringify(msg)}`); both(); });
  cluster.worker.on('message', (msg, handle) => { console.log(`worker #${id}: cluster.worker 'message' ${JSON.stringify(msg)} handle ${handle}`); both(); });
}

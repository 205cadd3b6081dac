'use strict';
// cluster 'fork' with a timeout per worker, cleared on 'listening'.
// Workers 1 and 2 listen in time; worker 3 never listens, so its timeout
// reports it and the primary kills it. Each exit clears the timeout and
// reports, as the example does.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  const timeouts = [];
  const errorMsg = (id, why) => console.log(`worker ${id} (${why}): something must be wrong with the connection ...`);
  cluster.on('fork', (worker) => {
    console.log(`fork #${worker.id}`);
    timeouts[worker.id] = setTimeout(() => {
      errorMsg(worker.id, 'timeout');
      worker.kill();
    }, worker.id === 3 ? 300 : 5000);
  });
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    console.log(`listening #${worker.id}`);
    clearTimeout(timeouts[worker.id]);
    if (++listening === 2) cluster.fork({ DOCS_MODE: 'silent' });
  });
  let exited = 0;
  cluster.on('exit', (worker, code, signal) => {
    clearTimeout(timeouts[worker.id]);
    errorMsg(worker.id, `exit ${code} ${signal}`);
    if (++exited === 1) cluster.disconnect();
  });
  cluster.fork();
  cluster.fork();
} else if (process.env.DOCS_MODE !== 'silent') {
  net.createServer(() => {}).listen(0, '127.0.0.1');
}

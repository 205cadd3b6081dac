'use strict';
// worker.exitedAfterDisconnect: undefined while the worker runs; true after
// worker.disconnect(); false when the worker exits by itself, after the
// primary's worker.kill(), and when the worker only closes its channel
// (process.disconnect(): the worker then exits 0 by itself). The workers
// end one after the other.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.on('exit', (worker, code, signal) => {
    console.log(`worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`);
    if (worker.exitedAfterDisconnect === true) {
      console.log(`worker ${worker.id}: voluntary, no need to worry`);
    }
  });
  const ends = ['kill', 'disconnect', 'self', 'channel'];
  const next = () => {
    const how = ends.shift();
    if (how === undefined) return;
    const worker = cluster.fork();
    worker.on('online', () => {
      console.log(`worker ${worker.id} online, exitedAfterDisconnect ${worker.exitedAfterDisconnect}; ending it by ${how}`);
      if (how === 'kill') worker.kill();
      else if (how === 'disconnect') worker.disconnect();
      else worker.send(how === 'self' ? 'exit' : 'close channel');
    });
    worker.on('exit', next);
  };
  next();
} else {
  process.on('message', (msg) => {
    if (msg === 'exit') process.exit(7);
    if (msg === 'close channel') process.disconnect();
  });
}

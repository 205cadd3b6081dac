'use strict';
// cluster.workers: a worker leaves it once it has both disconnected and
// exited, before the later of its 'disconnect' and 'exit' events. Three
// workers end one after the other: by disconnect(), by kill(), and by an
// exit of their own; every listener reports whether the worker is still
// in cluster.workers.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const where = (worker) => `in cluster.workers ${worker.id in cluster.workers}, isConnected ${worker.isConnected()}, isDead ${worker.isDead()}`;
  cluster.on('disconnect', (worker) => console.log(`cluster disconnect #${worker.id}: ${where(worker)}`));
  cluster.on('exit', (worker) => console.log(`cluster exit #${worker.id}: ${where(worker)}`));
  const ends = ['disconnect', 'kill', 'exit'];
  const next = () => {
    const how = ends.shift();
    if (how === undefined) {
      console.log(`workers left: ${Object.keys(cluster.workers).length}`);
      return;
    }
    const worker = cluster.fork();
    let left = 2;
    const done = () => { if (--left === 0) setImmediate(next); };
    worker.on('online', () => {
      console.log(`worker #${worker.id} online (${how}): ${where(worker)}`);
      if (how === 'disconnect') worker.disconnect();
      else if (how === 'kill') worker.kill();
      else worker.send('exit');
    });
    worker.on('disconnect', () => { console.log(`worker disconnect #${worker.id}: ${where(worker)}`); done(); });
    worker.on('exit', () => { console.log(`worker exit #${worker.id}: ${where(worker)}`); done(); });
  };
  next();
} else {
  process.on('message', (msg) => {
    if (msg === 'exit') process.exit(0);
  });
}

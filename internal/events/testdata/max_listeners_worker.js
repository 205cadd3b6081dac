// Backs TestMaxListenersWarningInWorker (warnings_test.go, root package):
// the warnings a node v20.20.2 cluster worker prints for 11 "message"
// listeners on process and on cluster.worker, 11 "foo" listeners on the
// cluster module object, and 11 "disconnect" listeners on cluster.worker
// after setMaxListeners(0); the primary forks it silent and prints the
// worker's stdout, then its stderr with the pid replaced. The worker's
// "warning" listener shows that the warnings come after the synchronous
// code, each after the default listener printed it.
const cluster = require('cluster');
if (cluster.isPrimary) {
  cluster.setupPrimary({ silent: true });
  const w = cluster.fork();
  let out = '', err = '', ends = 0;
  const done = () => {
    if (++ends < 2) return;
    process.stdout.write(out + '--- stderr\n' + err.replaceAll(`(node:${w.process.pid})`, '(node:PID)'));
  };
  w.process.stdout.on('data', (d) => { out += d; });
  w.process.stderr.on('data', (d) => { err += d; });
  w.process.stdout.on('end', done);
  w.process.stderr.on('end', done);
} else {
  process.on('warning', (w) => {
    const who = w.emitter === process ? 'process' : w.emitter === cluster.worker ? 'worker' : w.emitter === cluster ? 'cluster' : '?';
    console.log(`warning ${w.name} ${w.type} ${w.count} ${who} ${process.listenerCount('warning')}`);
  });
  for (let i = 0; i < 11; i++) process.on('message', () => {});
  for (let i = 0; i < 11; i++) cluster.worker.on('message', () => {});
  for (let i = 0; i < 11; i++) cluster.on('foo', () => {});
  cluster.worker.setMaxListeners(0);
  for (let i = 0; i < 11; i++) cluster.worker.on('disconnect', () => {});
  console.log('sync end');
  setImmediate(() => cluster.worker.disconnect());
}

// Backs TestMaxListenersWarningInWorker (warnings_test.go, root package):
// the warnings a node v20.20.2 cluster worker prints for 11 "message"
// listeners on process and on cluster.worker, 11 "foo" listeners on the
// cluster module object, and 11 "disconnect" listeners on cluster.worker
// after setMaxListeners(0); the primary forks it silent and prints the
// worker's stderr with the pid replaced.
const cluster = require('cluster');
if (cluster.isPrimary) {
  cluster.setupPrimary({ silent: true });
  const w = cluster.fork();
  let err = '';
  w.process.stderr.on('data', (d) => { err += d; });
  w.process.stderr.on('end', () => { process.stdout.write(err.replaceAll(`(node:${w.process.pid})`, '(node:PID)')); });
} else {
  for (let i = 0; i < 11; i++) process.on('message', () => {});
  for (let i = 0; i < 11; i++) cluster.worker.on('message', () => {});
  for (let i = 0; i < 11; i++) cluster.on('foo', () => {});
  cluster.worker.setMaxListeners(0);
  for (let i = 0; i < 11; i++) cluster.worker.on('disconnect', () => {});
  setImmediate(() => cluster.worker.disconnect());
}

// A listener for a signal's name on process takes the signal: the worker
// is not killed by it, the listener gets the name; once the listener is
// removed the signal kills again. A listener for SIGKILL throws. Run by
// node, this script is the primary and forks itself; TestProcessSignalListener
// runs a Go worker that does the same under a Go primary and compares.
const cluster = require('cluster');

if (cluster.isPrimary) {
  const w = cluster.fork();
  w.on('message', (m) => {
    console.log('message', JSON.stringify(m));
    w.process.kill('SIGUSR2');
  });
  w.on('exit', (code, signal) => console.log('exit', code, signal));
} else {
  let n = 0;
  const onSignal = (name) => {
    n++;
    if (n === 2) process.removeListener('SIGUSR2', onSignal);
    process.send({ got: name, n, listeners: process.listenerCount('SIGUSR2') });
  };
  let kill;
  try {
    process.on('SIGKILL', () => {});
  } catch (e) {
    kill = { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, listeners: process.listenerCount('SIGKILL') };
  }
  process.on('SIGUSR2', onSignal);
  process.send({ ready: true, kill });
}

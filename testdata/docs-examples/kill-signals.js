'use strict';
// worker.kill(signal) sends the signal at once (on v20 it does not
// disconnect first): SIGINT and SIGHUP kill the worker; SIGPIPE (node
// ignores it), SIGWINCH and SIGCHLD (ignored by default) do not: the
// worker is still alive and connected 300 ms later, and is then
// disconnected (exit 0). One worker after the other. (SIGUSR1 starts
// node's inspector: not compared.)
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const signals = ['SIGINT', 'SIGHUP', 'SIGPIPE', 'SIGWINCH', 'SIGCHLD'];
  const next = () => {
    const signal = signals.shift();
    if (signal === undefined) return;
    const worker = cluster.fork();
    let timer;
    worker.on('online', () => {
      worker.kill(signal);
      timer = setTimeout(() => {
        console.log(`kill(${signal}): worker ${worker.id} still alive 300 ms later: isDead ${worker.isDead()} isConnected ${worker.isConnected()}`);
        worker.disconnect();
      }, 300);
    });
    worker.on('exit', (code, sig) => {
      clearTimeout(timer);
      console.log(`kill(${signal}): worker ${worker.id} exit ${code} ${sig} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`);
      next();
    });
  };
  next();
}

'use strict';
// worker.disconnect() and worker.kill() called twice, cluster.disconnect()
// called twice, and disconnect() then kill(), one worker each, one after
// the other; DOCS_MODES lists the cases to run. On v20 the second
// disconnect message usually makes the worker call process.disconnect()
// on a closed channel: ERR_IPC_DISCONNECTED, emitted on cluster.worker,
// which has no 'error' listener, so the worker dies of it (exit 1); now
// and then the second message finds the channel closed instead (the
// primary's 'error' EPIPE, exit 0). The workers' stderr is ignored (it
// holds that stack).
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'ignore', 'ipc'] });
  const modes = process.env.DOCS_MODES.split(',');
  const next = () => {
    const mode = modes.shift();
    if (mode === undefined) return;
    const worker = cluster.fork();
    worker.on('online', () => {
      console.log(`${mode}: worker ${worker.id}`);
      switch (mode) {
        case 'disconnect twice':
          worker.disconnect();
          worker.disconnect();
          break;
        case 'kill twice':
          worker.kill();
          worker.kill();
          break;
        case 'cluster.disconnect twice':
          cluster.disconnect(() => console.log('first callback'));
          cluster.disconnect(() => console.log('second callback'));
          break;
        default:
          worker.disconnect();
          worker.kill();
      }
    });
    worker.on('error', (err) => console.log(`worker ${worker.id} error ${err.code}`));
    worker.on('disconnect', () => console.log(`worker ${worker.id} disconnect`));
    worker.on('exit', (code, signal) => {
      console.log(`worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`);
      next();
    });
  };
  next();
}

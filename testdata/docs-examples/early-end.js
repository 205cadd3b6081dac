'use strict';
// Ending a worker right after fork(), before it is online: by
// worker.disconnect() (the worker still comes online, then disconnects and
// exits 0), by worker.kill() with the default signal and with SIGKILL (no
// 'online'), and by worker.process.disconnect() (the channel closed under
// the worker: on v20 its 'online' message fails with EPIPE, which it
// throws, exit 1). DOCS_MODES lists the cases. The workers' stderr is
// ignored.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'ignore', 'ipc'] });
  const modes = process.env.DOCS_MODES.split(',');
  const next = () => {
    const mode = modes.shift();
    if (mode === undefined) return;
    const worker = cluster.fork();
    console.log(`${mode}: worker ${worker.id}`);
    if (mode === 'disconnect') worker.disconnect();
    else if (mode === 'kill') worker.kill();
    else if (mode === 'kill SIGKILL') worker.kill('SIGKILL');
    else worker.process.disconnect();
    console.log(`  state ${worker.state} isConnected ${worker.isConnected()} in cluster.workers ${worker.id in cluster.workers}`);
    worker.on('online', () => console.log(`worker ${worker.id} online`));
    worker.on('error', (err) => console.log(`worker ${worker.id} error ${err.code}`));
    worker.on('disconnect', () => console.log(`worker ${worker.id} disconnect`));
    worker.on('exit', (code, signal) => {
      console.log(`worker ${worker.id} exit ${code} ${signal} exitedAfterDisconnect ${worker.exitedAfterDisconnect}`);
      next();
    });
  };
  next();
}

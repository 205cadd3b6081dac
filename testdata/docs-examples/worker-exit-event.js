'use strict';
// Worker 'exit', each branch: one worker killed by a signal, one that exits
// with code 3, one that exits with 0. They run one after the other.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const modes = ['signal', 'error', 'success'];
  const next = () => {
    const mode = modes.shift();
    if (mode === undefined) return;
    const worker = cluster.fork({ DOCS_MODE: mode });
    worker.on('online', () => {
      if (mode === 'signal') worker.process.kill('SIGKILL');
      else worker.send(mode);
    });
    worker.on('exit', (code, signal) => {
      if (signal) {
        console.log(`worker ${worker.id} was killed by signal: ${signal}`);
      } else if (code !== 0) {
        console.log(`worker ${worker.id} exited with error code: ${code}`);
      } else {
        console.log(`worker ${worker.id} success!`);
      }
      next();
    });
  };
  next();
} else {
  process.on('message', (msg) => {
    process.exit(msg === 'error' ? 3 : 0);
  });
}

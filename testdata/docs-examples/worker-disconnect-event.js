'use strict';
// Worker 'disconnect': the primary disconnects a worker once it is online
// and sees the worker's own 'disconnect' event, then its exit.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  worker.on('online', () => {
    console.log(`worker ${worker.id} online, disconnecting it`);
    worker.disconnect();
  });
  worker.on('disconnect', () => {
    console.log(`worker ${worker.id} has disconnected, isConnected ${worker.isConnected()}`);
  });
  worker.on('exit', (code, signal) => {
    console.log(`worker ${worker.id} exit ${code} ${signal}`);
  });
}

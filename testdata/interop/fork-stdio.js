'use strict';
// TestClusterForkStdio's other side, in Node v20.
//
// As a worker: echo what arrives on fd 4, a pipe the primary made
// (settings.stdio with a 'pipe' after the 'ipc' entry), without letting
// that pipe keep the worker alive.
//
// As a primary (node fork-stdio.js): fork one worker with stdio
// ['pipe', 'pipe', 'pipe', 'ipc', 'pipe'] (INTEROP_GO_EXEC: that Go binary
// as the worker, NODECLUSTER_TEST_WORKER naming its scenario), write
// "foobar" on its fd 4, disconnect it once the echo is whole, and print
// which stdio entries are streams, the echo and the worker's exit.
const cluster = require('cluster');
const net = require('net');

if (cluster.isPrimary) {
  if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
  cluster.setupPrimary({ stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'pipe'] });
  const worker = cluster.fork();
  const extra = worker.process.stdio[4];
  console.log('stdio ' + worker.process.stdio.map((s) => s !== null).join(','));
  let echo = '';
  extra.setEncoding('utf8');
  extra.on('data', (chunk) => {
    echo += chunk;
    if (echo === 'foobar') {
      console.log('echo ' + echo);
      worker.disconnect();
    }
  });
  worker.on('exit', (code, signal) => console.log(`exit ${code} ${signal}`));
  extra.write('foobar');
} else {
  const extra = new net.Socket({ fd: 4 });
  extra.unref();
  extra.on('data', (chunk) => extra.write(chunk));
}

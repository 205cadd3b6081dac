// The backlog a cluster worker's listen() reaches listen(2) with
// (backlog_test.go): the worker listens with NODECLUSTER_TEST_BACKLOG
// (unset: with none), and the primary, once the worker listens, reads the
// listening socket's Send-Q with ss (for a listening socket, the backlog it
// was given) and prints "backlog N".
'use strict';
const cluster = require('cluster');
const net = require('net');
const { execFileSync } = require('child_process');

if (cluster.isPrimary) {
  cluster.fork();
  cluster.on('listening', (worker, address) => {
    const out = execFileSync('ss', ['-Hltn', `sport = :${address.port}`]).toString();
    console.log('backlog ' + out.trim().split(/\s+/)[2]);
    worker.kill();
  });
} else {
  const backlog = Number(process.env.NODECLUSTER_TEST_BACKLOG) || undefined;
  net.createServer(() => {}).listen({ port: 0, host: '127.0.0.1', backlog });
}

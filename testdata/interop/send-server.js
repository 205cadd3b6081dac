// A worker sends its cluster server to the primary with a message
// (process.send(msg, server)). Under SCHED_NONE the server listens on the
// primary's own socket, which goes across; under round-robin it listens on
// a faux handle with no socket behind it, which kills a v20 worker
// (SIGSEGV) and fails in a Go worker with EBADF.
//   NODE_CLUSTER_SCHED_POLICY=none node send-server.js                 # Node worker
//   NODE_CLUSTER_SCHED_POLICY=none INTEROP_GO_EXEC=bin node send-server.js   # Go worker
'use strict';
const cluster = require('cluster');
const net = require('net');

if (cluster.isPrimary) {
  const say = (...a) => console.log(...a);
  if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
  const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'interop-send-server' });
  w.on('message', (m, handle) => {
    if (m.err) {
      say('worker send error', m.err);
    } else {
      say('primary got', m.t, 'handle', handle && handle.constructor.name,
          'listening', handle && handle.listening, 'same port', handle && handle.address().port === m.port);
      if (handle) handle.close();
    }
    w.disconnect();
  });
  w.on('exit', (code, signal) => say('exit', code, signal));
} else {
  const server = net.createServer();
  server.listen(0, '127.0.0.1', () => {
    process.send({ t: 'server', port: server.address().port }, server, (err) => {
      if (err) process.send({ err: err.code });
      server.close();
    });
  });
}

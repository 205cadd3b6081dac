// Socket lists with real Node v20: a server that sends its connections to
// another process asks that process how many are still open
// (getConnections) and, when it closes, waits to hear that all have
// closed (NODE_SOCKET_GET_COUNT, NODE_SOCKET_NOTIFY_CLOSE,
// NODE_SOCKET_ALL_CLOSED).
//   node socket-list.js                      # Node primary, Node worker
//   INTEROP_GO_EXEC=bin node socket-list.js  # that Go binary as the worker
// With SOCKET_LIST_ROLE=sender in its environment, the worker is the
// sender instead: it serves one connection by sending it to its primary
// (a Go primary in the Go test) and exits once disconnected.
'use strict';
const cluster = require('cluster');
const net = require('net');

if (cluster.isPrimary) {
  const say = (...a) => console.log(a.join(' '));
  if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
  const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'socket-list' });
  const server = net.createServer((s) => w.send('take', s));
  w.on('message', (m) => {
    if (m !== 'have') return;
    server.getConnections((err, n) => {
      say('getConnections', String(err), n);
      server.close(() => { say('server closed'); w.disconnect(); });
      w.send('end');
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const c = net.connect(server.address().port, '127.0.0.1');
    c.setEncoding('utf8');
    c.on('data', (d) => say('client got', d));
    c.on('end', () => { say('client end'); c.end(); });
  });
  w.on('exit', (code, signal) => say('exit', code, String(signal)));
} else if (process.env.SOCKET_LIST_ROLE === 'sender') {
  const server = net.createServer((s) => process.send('take', s));
  server.listen(0, '127.0.0.1');
} else {
  let sock;
  process.on('message', (m, handle) => {
    if (m === 'take') {
      sock = handle;
      sock.write('hi');
      process.send('have');
    } else if (m === 'end') {
      sock.end();
    }
  });
}

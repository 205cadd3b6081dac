// Handles over the channel with real Node v20: the primary sends its
// worker an 800 004-byte payload with a socket, then 'one', 'two' with a
// socket and 'three' back to back (they leave together once the first
// handle is acknowledged, so the worker reads them in one chunk with the
// descriptor belonging to the middle one). The worker reports what came
// with each message and sends the first socket back with its own large
// payload; the primary writes through the returned socket.
//   node handles.js                  # Node worker
//   INTEROP_GO_EXEC=bin node handles.js   # that Go binary as the worker
'use strict';
const cluster = require('cluster');
const net = require('net');
const SIZE = 800004;

if (cluster.isPrimary) {
  const say = (...a) => console.log(a.join(' '));
  if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
  const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'interop-handles' });
  const clients = [];
  const server = net.createServer();
  const accepted = [];
  server.listen(0, '127.0.0.1', () => {
    for (let i = 0; i < 2; i++) {
      const c = net.connect(server.address().port, '127.0.0.1');
      c.setEncoding('utf8');
      c.on('data', (d) => { say('client', i, 'got', d); if (d === 'via-worker') { for (const x of clients) x.destroy(); w.disconnect(); server.close(); } });
      clients.push(c);
    }
  });
  server.on('connection', (s) => {
    accepted.push(s);
    if (accepted.length < 2) return;
    w.on('online', () => {});
    w.send({ payload: 'x'.repeat(SIZE) }, accepted[0]);
    w.send('one');
    w.send('two', accepted[1]);
    w.send('three');
  });
  w.on('message', (m, handle) => {
    if (m && m.report) {
      say('worker got', m.report, 'len', m.len, 'handle', m.handle);
      return;
    }
    say('primary got payload', m.payload.length, m.payload === 'y'.repeat(SIZE), 'handle', handle instanceof net.Socket);
    handle.write('via-worker');
  });
  w.on('exit', (code, signal) => say('exit', code, signal));
} else {
  const kept = [];
  process.on('message', (m, handle) => {
    const report = typeof m === 'string' ? m : 'payload';
    const len = typeof m === 'string' ? m.length : m.payload.length;
    process.send({ report, len, handle: handle instanceof net.Socket });
    if (handle) kept.push(handle);
    if (m === 'three') process.send({ payload: 'y'.repeat(SIZE) }, kept[0]);
  });
}

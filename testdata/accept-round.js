'use strict';
// Node's side of TestRoundRobinAcceptsOneConnectionPerRound (accept_round_test.go):
// prints each worker's "connection"/"message<i>" events in order.
const cluster = require('cluster');
const net = require('net');
const clients = 6;
if (cluster.isPrimary) {
  const workers = [cluster.fork(), cluster.fork()];
  const logs = {};
  let listening = 0, done = 0;
  for (const w of workers) {
    w.on('listening', (a) => {
      if (++listening !== 2) return;
      for (let i = 0; i < clients; i++) {
        const c = net.connect(a.port, '127.0.0.1');
        c.on('connect', () => { for (const x of workers) x.send({ i }); });
        c.on('data', () => {});
        c.on('close', () => { if (++done === clients) for (const x of workers) x.send({ report: true }); });
      }
    });
    w.on('message', (m) => {
      logs[w.id] = m.log;
      if (Object.keys(logs).length === 2) {
        for (const id of Object.keys(logs).sort()) console.log(`worker ${id}: ${logs[id]}`);
        for (const x of workers) x.disconnect();
      }
    });
  }
} else {
  const log = [];
  const s = net.createServer((c) => { log.push('connection'); c.end('hi'); });
  process.on('message', (m) => {
    if (m.report) { process.send({ log: log.join(' ') }); return; }
    log.push(`message${m.i}`);
  });
  s.listen(0, '127.0.0.1');
}

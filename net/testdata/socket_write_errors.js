// The node side of TestSocketWriteErrors (net/socket_write_errors_test.go):
// writes a socket cannot make, and what their callbacks, End's and the
// socket's state say, each scenario's lines in order.
'use strict';
const net = require('net');
const os = require('os');
const path = require('path');
const fs = require('fs');

const code = (e) => (e ? e.code || e.message : String(e));
const state = (c) => `destroyed ${c.destroyed} writable ${c.writable} errored ${code(c.errored)} wl ${c.writableLength}`;

// A socket destroyed while it connects, writes and an end waiting.
function whileConnecting(destroyErr) {
  return new Promise((resolve) => {
    const lines = [];
    const log = (x) => lines.push(x);
    const srv = net.createServer(() => {});
    srv.listen(0, '127.0.0.1', () => {
      const c = net.connect(srv.address().port, '127.0.0.1');
      c.on('error', (e) => log('error ' + code(e)));
      c.write('a', (e) => log('cb a ' + code(e)));
      c.write('b', (e) => log('cb b ' + code(e)));
      c.end('c', (e) => log('end cb ' + code(e)));
      c.destroy(destroyErr);
      c.on('close', (hadError) => {
        log('close ' + hadError + ' ' + state(c));
        srv.close(() => resolve(lines));
      });
    });
  });
}

// A Unix socket whose peer has closed: a write fails at once (EPIPE).
function peerGone(then) {
  return new Promise((resolve) => {
    const lines = [];
    const log = (x) => lines.push(x);
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swe-')), 's');
    const srv = net.createServer((s) => s.destroy());
    srv.listen(p, () => {
      const c = net.connect({ path: p, allowHalfOpen: true });
      c.on('error', (e) => log('error ' + code(e) + ' ' + state(c)));
      c.on('close', (hadError) => {
        log('close ' + hadError + ' ' + state(c));
        srv.close(() => resolve(lines));
      });
      c.on('end', () => {
        then(c, log);
        process.nextTick(() => log('tick ' + state(c)));
      });
      c.resume();
    });
  });
}

(async () => {
  console.log(JSON.stringify(await whileConnecting()));
  console.log(JSON.stringify(await whileConnecting(new Error('mine'))));
  console.log(JSON.stringify(await peerGone((c, log) => {
    log('w1 ' + c.write('x', (e) => log('cb x ' + code(e) + ' ' + state(c))) + ' ' + state(c));
    log('w2 ' + c.write('y', (e) => log('cb y ' + code(e) + ' ' + state(c))) + ' ' + state(c));
  })));
  console.log(JSON.stringify(await peerGone((c, log) => {
    c.end('last', (e) => log('end cb ' + code(e) + ' ' + state(c)));
    log('ended ' + state(c));
  })));
})();

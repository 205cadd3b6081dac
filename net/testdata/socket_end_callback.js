// The node side of TestSocketEndCallback (net/socket_stream_test.go):
// node net/testdata/socket_end_callback.js prints each scenario's client
// events, in order, as end(data, cb) calls back.
const net = require('net');
const scen = [];
const cb = (log, name) => (err) => log(name + ' ' + (err ? (err.code ? err.code + ' ' : '') + err.message : err));
scen.push({ name: 'end then end while ending', onConnect(c, log) {
  c.on('finish', () => log('finish'));
  c.end('x', cb(log, 'cb1'));
  c.end(cb(log, 'cb2'));
  c.on('close', () => c.end(cb(log, 'cb3')));
}});
scen.push({ name: 'end then destroy', onConnect(c, log) {
  c.end(cb(log, 'cb'));
  c.destroy();
}});
scen.push({ name: 'destroy then end', onConnect(c, log) {
  c.destroy();
  c.end(cb(log, 'cb'));
}});
scen.push({ name: 'end then destroy with an error', onConnect(c, log) {
  c.on('error', (err) => log('error ' + err.message));
  c.end('y', cb(log, 'cb'));
  c.destroy(new Error('boom'));
}});
scen.push({ name: 'end before connect', beforeConnect(c, log) {
  c.end(cb(log, 'cb'));
  c.on('finish', () => log('finish'));
}});
scen.push({ name: 'end with data after end', onConnect(c, log) {
  c.on('error', (err) => log('error ' + err.code));
  c.end();
  c.end('more', cb(log, 'cb'));
}});
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => { s.resume(); s.on('end', () => s.end()); s.on('close', () => { srv.close(); resolve(); }); s.on('error', () => {}); });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('close', () => log('close'));
        if (sc.beforeConnect) sc.beforeConnect(c, log); else c.on('connect', () => sc.onConnect(c, log));
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    console.log(sc.name + ': ' + JSON.stringify(lines));
  }
})();

// The node side of TestSocketStateGetters (net/socket_pipe_test.go): node
// net/testdata/socket_state.js prints a socket's state getters at each step.
const net = require('net');
const st = (s) => [s.readable, s.writable, s.readableEnded, s.writableEnded, s.writableFinished,
  s.writableNeedDrain, s.writableHighWaterMark, s.closed, s.errored ? s.errored.code : 'null'].join(' ');
const srv = net.createServer((s) => {
  console.log('server conn ' + st(s));
  s.on('end', () => { console.log('server end ' + st(s)); });
  s.on('finish', () => console.log('server finish ' + st(s)));
  s.on('close', () => { console.log('server close ' + st(s)); srv.close(); });
  s.resume();
}).listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1');
  console.log('client new ' + st(c));
  c.on('connect', () => {
    console.log('client connect ' + st(c));
    const r = c.write(Buffer.alloc(20 << 20));
    console.log('client big write ' + r + ' ' + st(c));
    c.on('drain', () => { console.log('drain ' + st(c)); c.end(); console.log('client ended ' + st(c)); });
  });
  c.on('finish', () => console.log('client finish ' + st(c)));
  c.on('close', () => {
    console.log('client close ' + st(c));
    const d = net.connect(1, '127.0.0.1');
    d.on('error', (e) => console.log('d error ' + st(d)));
    d.on('close', () => console.log('d close ' + st(d)));
    const e = new net.Socket();
    console.log('new socket ' + st(e));
    e.destroy();
    console.log('destroyed ' + st(e));
  });
  c.resume();
});

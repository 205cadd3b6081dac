// The node side of TestSocketResetWithWritesHeld (net/socket_stream_test.go).
const net = require('net');
const code = (e) => (e ? e.code + ' ' + e.syscall : 'null');
const lines = []; const log = (x) => lines.push(x);
const srv = net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.resetAndDestroy()); srv.close(); });
srv.listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1');
  c.on('data', () => {});
  c.on('error', (e) => log('error ' + code(e)));
  c.on('close', (h) => { log('close ' + h); console.log(JSON.stringify(lines)); });
  c.on('connect', () => {
    log('big ' + c.write(Buffer.alloc(8 << 20), (e) => log('cbbig ' + code(e))));
    log('wa ' + c.write('a', (e) => log('cba ' + code(e))));
  });
});

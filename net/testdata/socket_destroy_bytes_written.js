'use strict';
// Backs TestSocketDestroyCallbacksSeeBytesWritten (net/socket_write_errors_test.go):
// bytesWritten as seen from the callbacks destroy() runs for writes queued
// behind one the peer does not read. Node printed:
//   before destroy 16777220
//   cb1 null 16777220
//   cb2 ERR_STREAM_DESTROYED 16777220
//   endcb ERR_STREAM_DESTROYED 16777220
//   close 16777216
const net = require('net');
const srv = net.createServer((s) => { s.pause(); s.on('error', () => {}); });
srv.listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1', () => {
    c.write(Buffer.alloc(16 << 20), (e) => console.log('cb1', e && e.code, c.bytesWritten));
    c.write('xx', (e) => console.log('cb2', e && e.code, c.bytesWritten));
    c.end('yy', (e) => console.log('endcb', e && e.code, c.bytesWritten));
    console.log('before destroy', c.bytesWritten);
    setTimeout(() => { c.destroy(); }, 50);
  });
  c.on('close', () => { console.log('close', c.bytesWritten); srv.close(); });
});

// The node side of TestSocketEndFinishBeforeImmediate (net/socket_node_test.go).
const net = require('net');
const srv = net.createServer((s) => { s.resume(); s.on('end', () => s.end()); s.on('close', () => srv.close()); });
srv.listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1');
  c.resume();
  c.on('connect', () => {
    c.on('finish', () => console.log('finish'));
    c.write('a', () => console.log('cba'));
    c.end('c');
    process.nextTick(() => console.log('tick'));
    setImmediate(() => console.log('immediate'));
  });
});

// The node side of TestSocketReadSplitsASurrogatePair (net/socket_readable_test.go).
const net = require('net');
const srv = net.createServer((s) => { s.end('a\u{1F600}b'); }).listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1');
  c.setEncoding('utf8');
  c.once('readable', () => {
    setTimeout(() => {
      const x = c.read(2);
      console.log('read2', JSON.stringify(x), x.length, c.readableLength);
      const y = c.read();
      console.log('rest', JSON.stringify(y), y && y.length, c.readableLength);
      c.on('end', () => { console.log('end'); srv.close(); });
      c.read();
    }, 50);
  });
});

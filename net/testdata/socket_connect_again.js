// The node side of TestSocketEncodingAndCorkSurviveAConnectAgain
// (net/socket_stream_test.go).
const net = require('net');
const srv = net.createServer((s) => { s.end('hi'); srv.close(); });
srv.listen(0, '127.0.0.1', () => {
  const c = new net.Socket();
  c.setEncoding('hex');
  c.cork();
  c.on('error', (e) => { console.log('error', e.code, c.readableEncoding, c.writableCorked); c.connect(srv.address().port, '127.0.0.1'); });
  c.on('data', (d) => console.log('data', d));
  c.on('connect', () => console.log('connect', c.readableEncoding, c.writableCorked));
  c.on('end', () => c.end());
  c.connect(1, '127.0.0.1');
});

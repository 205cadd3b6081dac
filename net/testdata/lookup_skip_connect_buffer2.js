// Backs TestNetDnsLookupSkip and TestNetConnectBuffer2 (net/node_more_test.go).
const net = require('net');
const out = [];
for (const address of ['127.0.0.1', '::1']) {
  const server = net.createServer((c) => { c.end(); server.close(); });
  server.listen(0, address, () => {
    const c = net.connect(server.address().port, address);
    c.on('lookup', (...a) => out.push('lookup ' + address + ' ' + a.slice(1).join(' ')));
    c.on('connect', () => out.push('connect ' + address));
    c.resume();
  });
}
const tcp = net.Server((s) => {
  tcp.close();
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => { buf += d; });
  s.on('end', () => { out.push('server end ' + buf); s.end(); });
});
tcp.listen(0, function() {
  const socket = net.Stream();
  let connected = false;
  out.push('pending ' + socket.pending);
  socket.connect(this.address().port, () => { connected = true; });
  out.push(`after connect pending ${socket.pending} connecting ${socket.connecting} readyState ${socket.readyState}`);
  const a = "L'État, c'est ";
  const b = 'moi';
  const r = socket.write(a, (er) => {
    out.push(`write cb ${er} connected ${connected} bytesWritten ${socket.bytesWritten} pending ${socket.pending}`);
  });
  socket.on('close', () => { out.push('close pending ' + socket.pending); setTimeout(() => console.log(out.join('\n')), 50); });
  out.push(`written ${r} bytesWritten ${socket.bytesWritten}`);
  socket.end(b);
  out.push('readyState ' + socket.readyState);
});

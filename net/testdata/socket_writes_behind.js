// The node side of TestSocketWritesBehindAWrite (net/socket_stream_test.go):
// node net/testdata/socket_writes_behind.js prints each scenario's client
// events and what the server read (how much, and its last two bytes).
const net = require('net');
const code = (e) => (e ? e.code : 'null');
const scen = [];
scen.push({ name: 'corked', onConnect(c, log) {
  log('big ' + c.write(Buffer.alloc(8 << 20), (e) => log('cbbig ' + code(e))));
  c.cork();
  log('wa ' + c.write('a', (e) => log('cba ' + code(e))));
  log('wb ' + c.write('b', (e) => log('cbb ' + code(e))));
  c.uncork(); log('uncorked ' + c.writableLength);
  c.on('drain', () => { log('drain ' + c.writableLength); c.end(); });
}});
scen.push({ name: 'not corked', onConnect(c, log) {
  log('big ' + c.write(Buffer.alloc(8 << 20), (e) => log('cbbig ' + code(e))));
  log('wa ' + c.write('a', (e) => log('cba ' + code(e))));
  log('wb ' + c.write('b', (e) => log('cbb ' + code(e))));
  c.on('drain', () => { log('drain ' + c.writableLength); c.end(); });
}});
scen.push({ name: 'destroy', onConnect(c, log) {
  log('big ' + c.write(Buffer.alloc(8 << 20), (e) => log('cbbig ' + code(e))));
  log('wa ' + c.write('a', (e) => log('cba ' + code(e))));
  c.on('error', (e) => log('error ' + e.code));
  c.destroy(); log('destroyed ' + c.writableLength);
  process.nextTick(() => log('tick'));
}});
scen.push({ name: 'end', onConnect(c, log) {
  log('big ' + c.write(Buffer.alloc(8 << 20), (e) => log('cbbig ' + code(e))));
  log('wa ' + c.write('a', (e) => log('cba ' + code(e))));
  c.on('finish', () => log('finish'));
  c.on('drain', () => log('drain'));
  c.end('b'); log('ended ' + c.writableLength);
}});
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => {
        let total = 0, last = '';
        s.on('data', (d) => { total += d.length; last = (last + d.toString('latin1')).slice(-2); });
        s.on('error', () => {});
        s.on('end', () => s.end());
        s.on('close', () => { log(total === 8388610 ? "server read " + total + " " + JSON.stringify(last) : "server read part"); srv.close(); resolve(); });
      });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('data', () => {});
        c.on('close', () => log('close'));
        c.on('connect', () => sc.onConnect(c, log));
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    console.log(sc.name + ': ' + JSON.stringify(lines));
  }
})();

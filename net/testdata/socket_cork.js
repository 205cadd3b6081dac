// The node side of TestSocketCork (net/socket_stream_test.go): node
// net/testdata/socket_cork.js prints each scenario's client events and
// the chunks the server read.
const net = require('net');
const scen = [];
const tick = (log, what) => { process.nextTick(() => log('tick ' + what)); setImmediate(() => log('immediate ' + what)); };
scen.push({ name: 'three writes', onConnect(c, log) {
  c.cork(); c.cork(); log('corked ' + c.writableCorked);
  for (const x of ['a', 'b', 'c']) log('w' + x + ' ' + c.write(x, (err) => log('cb' + x + ' ' + err)) + ' ' + c.writableLength + ' ' + c.bufferSize);
  log('bw ' + c.bytesWritten);
  c.uncork(); log('uncork1 ' + c.writableCorked + ' ' + c.writableLength);
  c.uncork(); log('uncork2 ' + c.writableCorked + ' ' + c.writableLength);
  c.uncork(); log('uncork3 ' + c.writableCorked);
  tick(log, 'after');
  c.on('drain', () => log('drain'));
  setTimeout(() => c.end(), 50);
}});
scen.push({ name: 'drain', onConnect(c, log) {
  c.cork();
  log('w1 ' + c.write(Buffer.alloc(10240, 'x'), (err) => log('cb1 ' + err)) + ' ' + c.writableLength);
  log('w2 ' + c.write(Buffer.alloc(10240, 'y'), (err) => log('cb2 ' + err)) + ' ' + c.writableLength);
  log('w3 ' + c.write('z') + ' ' + c.writableLength);
  c.on('drain', () => log('drain ' + c.writableLength));
  c.uncork(); log('uncorked ' + c.writableLength);
  tick(log, 'after');
  setTimeout(() => c.end(), 50);
}});
scen.push({ name: 'one write', onConnect(c, log) {
  c.cork();
  log('w ' + c.write('a', (err) => log('cb ' + err)));
  c.uncork(); log('uncorked ' + c.writableLength);
  tick(log, 'after');
  setTimeout(() => c.end(), 50);
}});
scen.push({ name: 'end while corked', onConnect(c, log) {
  c.cork(); c.cork();
  c.write('a', (err) => log('cba ' + err));
  c.write('b', (err) => log('cbb ' + err));
  c.on('finish', () => log('finish'));
  c.end('c'); log('ended ' + c.writableCorked + ' ' + c.writableLength);
  tick(log, 'after');
}});
scen.push({ name: 'destroy while corked', onConnect(c, log) {
  c.cork();
  c.write('a', (err) => log('cba ' + (err && err.code)));
  c.write('b', (err) => log('cbb ' + (err && err.code)));
  c.on('error', (err) => log('error ' + err.code));
  log('bw ' + c.bytesWritten);
  c.destroy(); log('destroyed ' + c.writableLength + ' ' + c.writableCorked);
  tick(log, 'after');
  c.on('close', () => log('bw ' + c.bytesWritten + ' ' + c.writableLength));
}});
scen.push({ name: 'corked while connecting', beforeConnect(c, log) {
  c.cork();
  c.write('a', (err) => log('cba ' + err));
  c.write('b', (err) => log('cbb ' + err));
  c.uncork(); log('uncorked ' + c.writableLength + ' ' + c.bufferSize);
  c.on('connect', () => { log('connect'); tick(log, 'connect'); setTimeout(() => c.end(), 50); });
}});
scen.push({ name: 'no callbacks', onConnect(c, log) {
  c.uncork(); log('corked ' + c.writableCorked);
  c.cork();
  c.write('a'); c.write('b');
  c.uncork();
  tick(log, 'after');
  setTimeout(() => c.end(), 50);
}});
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    const chunks = [];
    await new Promise((resolve) => {
      const srv = net.createServer((s) => { s.on('data', (d) => chunks.push(d.length > 8 ? d.length + 'B' : d.toString())); s.on('end', () => s.end()); s.on('close', () => { srv.close(); resolve(); }); s.on('error', () => {}); });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('data', () => {});
        c.on('close', () => log('close'));
        if (sc.beforeConnect) sc.beforeConnect(c, log); else c.on('connect', () => sc.onConnect(c, log));
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    console.log(sc.name + ': ' + JSON.stringify(lines) + ' server read ' + JSON.stringify(chunks));
  }
})();

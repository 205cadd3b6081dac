// The node side of TestSocketUnshift (net/socket_stream_test.go): node
// net/testdata/socket_unshift.js prints each scenario's server events.
const net = require('net');
const show = (x) => typeof x === 'string' ? 'str ' + JSON.stringify(x) : 'buf ' + JSON.stringify(x.toString());
const scen = [];
scen.push({ name: 'paused', server(s, log) {
  let n = 0;
  s.on('data', (d) => {
    log('data ' + show(d));
    if (++n === 1) {
      s.pause();
      log('ret ' + s.unshift(Buffer.from('XY')) + ' ' + s.readableLength);
      log('empty ' + s.unshift(Buffer.alloc(0)) + ' ' + s.readableLength);
      s.write('k');
      setImmediate(() => { log('resume'); s.resume(); });
    }
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hello', 'world'] });
scen.push({ name: 'flowing', server(s, log) {
  let n = 0;
  s.on('data', (d) => {
    log('data ' + show(d));
    if (++n === 1) log('ret ' + s.unshift(Buffer.from('XY')) + ' ' + s.readableLength);
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hello'] });
scen.push({ name: 'after end', server(s, log) {
  s.on('data', (d) => log('data ' + show(d)));
  s.on('error', (e) => log('error ' + e.name + ' ' + e.code + ' ' + e.message));
  s.on('end', () => { log('end'); log('ret ' + s.unshift(Buffer.from('Z'))); });
}, chunks: ['hello'] });
scen.push({ name: 'encoding', server(s, log) {
  let n = 0;
  s.setEncoding('hex');
  s.on('data', (d) => {
    log('data ' + show(d));
    if (++n === 1) {
      s.pause();
      log('ret ' + s.unshift(Buffer.from('XY')) + ' ' + s.readableLength);
      s.write('k');
      const t0 = Date.now();
      (function poll() { if (s._readableState.ended) { log('len ' + s.readableLength); s.resume(); } else setTimeout(poll, 2); })();
    }
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hi', 'yo'] });
scen.push({ name: 'encoding alone', server(s, log) {
  let n = 0;
  s.setEncoding('hex');
  s.on('data', (d) => {
    log('data ' + show(d));
    if (++n === 1) {
      s.pause();
      log('ret ' + s.unshift(Buffer.from('XY')) + ' ' + s.readableLength);
      setImmediate(() => s.resume());
    }
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hi'] });
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => { s.on('close', (h) => { log('close ' + h); srv.close(); resolve(); }); sc.server(s, log); });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('error', () => {});
        let i = 0;
        const next = () => { const x = sc.chunks[i++]; if (i === sc.chunks.length) c.end(x); else c.write(x); };
        c.on('data', next);
        next();
      });
    });
    console.log(sc.name + ': ' + JSON.stringify(lines));
  }
})();

// The node side of TestSocketReadable (net/socket_readable_test.go): node
// net/testdata/socket_readable.js prints each scenario's server events.
// The client writes its chunks (latin1) one by one, the next when the
// server writes to it, and ends with the last; with gap, every gap ms.
const net = require('net');
const show = (x) => x === null ? 'null' : typeof x === 'string' ? 'str ' + JSON.stringify(x) : 'buf ' + x.toString('hex');
const flowing = (s) => String(s.readableFlowing);
const scen = [];
scen.push({ name: 'read loop', server(s, log) {
  log('flowing ' + flowing(s));
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    let c;
    while ((c = s.read()) !== null) log('read ' + show(c));
    log('read null ' + s.readableLength);
    s.write('k');
  });
  log('flowing ' + flowing(s));
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hello', 'world'] });
scen.push({ name: 'read n', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    let c;
    while ((c = s.read(3)) !== null) log('read ' + show(c));
    log('read null ' + s.readableLength);
    s.write('k');
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['hello', 'world!'] });
scen.push({ name: 'read zero', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    log('read0 ' + show(s.read(0)) + ' ' + s.readableLength);
    setImmediate(() => { log('read ' + show(s.read())); s.write('k'); });
  });
  s.on('data', (d) => log('data ' + show(d)));
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['ab', 'cd'] });
scen.push({ name: 'read after end', server(s, log) {
  s.once('readable', () => log('readable ' + s.readableLength));
  s.on('end', () => { log('end'); s.end(); });
  (function poll() {
    if (s._readableState.ended) {
      log('ended ' + s.readableLength);
      log('read ' + show(s.read()));
      log('read ' + show(s.read()));
      setImmediate(() => log('immediate'));
    } else setTimeout(poll, 2);
  })();
}, chunks: ['hello'] });
scen.push({ name: 'encoding', server(s, log) {
  s.setEncoding('utf8');
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    let c;
    while ((c = s.read(2)) !== null) log('read ' + show(c));
    log('read null ' + s.readableLength);
    s.write('k');
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['h\xc3', '\xa9llo', 'x\xe2\x82'] });
scen.push({ name: 'readable while flowing', server(s, log) {
  let n = 0;
  s.on('data', (d) => {
    log('data ' + show(d));
    if (++n === 1) {
      log('flowing ' + flowing(s));
      s.on('readable', () => {
        log('readable ' + s.readableLength);
        let c;
        while ((c = s.read()) !== null) log('read ' + show(c));
        s.write('k');
      });
      log('flowing ' + flowing(s));
      s.write('k');
    }
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b', 'c'] });
scen.push({ name: 'readable removed', server(s, log) {
  s.on('data', (d) => { log('data ' + show(d)); s.write('k'); });
  const onReadable = () => {
    log('readable ' + s.readableLength);
    let c;
    while ((c = s.read()) !== null) log('read ' + show(c));
    s.removeListener('readable', onReadable);
    log('flowing ' + flowing(s));
    process.nextTick(() => log('tick flowing ' + flowing(s)));
    s.write('k');
  };
  s.on('readable', onReadable);
  log('flowing ' + flowing(s));
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b', 'c'] });
scen.push({ name: 'removed no data', server(s, log) {
  const onReadable = () => {
    log('readable ' + show(s.read()));
    s.removeListener('readable', onReadable);
    process.nextTick(() => {
      log('tick flowing ' + flowing(s));
      s.on('data', (d) => { log('data ' + show(d)); s.write('k'); });
      log('flowing ' + flowing(s));
      s.write('k');
    });
  };
  s.on('readable', onReadable);
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b'] });
scen.push({ name: 'pause resume', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    s.pause();
    log('paused ' + flowing(s));
    s.resume();
    log('resumed ' + flowing(s));
    let c;
    while ((c = s.read()) !== null) log('read ' + show(c));
    s.write('k');
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b'] });
scen.push({ name: 'high-water mark', server(s, log) {
  let n = 0;
  s.on('readable', () => {
    if (++n === 1) {
      log('readable');
      setTimeout(() => {
        log('waiting ' + s.readableLength);
        let c, total = 0;
        while ((c = s.read()) !== null) total += c.length;
        log('read ' + total + ' ' + s.readableLength);
        s.on('readable', () => { while (s.read() !== null); });
      }, 300);
    }
  });
  s.on('end', () => { log('end ' + s.bytesRead); s.end(); });
}, chunks: Array(10).fill('x'.repeat(4096)), gap: 20 });
scen.push({ name: 'read above the mark', server(s, log) {
  let n = 0;
  s.on('readable', () => {
    if (++n === 1) {
      setTimeout(() => {
        log('waiting ' + s.readableLength + ' ' + s.readableHighWaterMark);
        log('read ' + show(s.read(20000)) + ' ' + s.readableHighWaterMark);
        setTimeout(() => {
          log('waiting ' + s.readableLength);
          const c = s.read(20000);
          log('read ' + c.length + ' ' + s.readableLength);
        }, 300);
      }, 300);
      return;
    }
  });
  s.on('end', () => { log('end ' + s.bytesRead); s.end(); });
  s.on('close', () => {});
  setTimeout(() => { let c; while ((c = s.read()) !== null) {} }, 1200);
}, chunks: Array(10).fill('x'.repeat(4096)), gap: 20 });
scen.push({ name: 'unshift in readable', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    const c = s.read();
    if (c === null) { log('read null'); return; }
    log('read ' + show(c));
    if (c.length > 1) log('unshift ' + s.unshift(c.subarray(1)) + ' ' + s.readableLength);
    else s.write('k');
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['abc', 'd'] });
scen.push({ name: 'readable added late', server(s, log) {
  s.pause();
  (function poll() {
    if (s.readableLength === 2) {
      log('waiting ' + s.readableLength + ' ' + flowing(s));
      s.on('readable', () => {
        log('readable ' + s.readableLength);
        let c;
        while ((c = s.read()) !== null) log('read ' + show(c));
        s.write('k');
      });
      log('flowing ' + flowing(s));
      process.nextTick(() => log('tick'));
    } else setTimeout(poll, 2);
  })();
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['ab', 'cd'] });
scen.push({ name: 'end only', server(s, log) {
  s.on('readable', () => { log('readable ' + s.readableLength + ' ' + show(s.read())); process.nextTick(() => log('tick')); });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: [''] });
scen.push({ name: 'removed then resume', server(s, log) {
  const onReadable = () => {
    log('readable ' + show(s.read()));
    s.removeListener('readable', onReadable);
    s.resume();
    log('flowing ' + flowing(s));
    process.nextTick(() => log('tick flowing ' + flowing(s)));
    setImmediate(() => {
      log('immediate flowing ' + flowing(s) + ' ' + s.readableLength);
      s.write('k');
    });
  };
  s.on('readable', onReadable);
  s.on('end', () => { log('end ' + s.readableLength); s.end(); });
}, chunks: ['a', 'b'] });
scen.push({ name: 'client reads', server(s, log) {
  s.end('hello');
}, client(c, log) {
  c.on('readable', () => log('client readable ' + c.readableLength + ' ' + show(c.read())));
  c.on('connect', () => log('client connect ' + flowing(c)));
  c.on('end', () => log('client end'));
  c.on('close', () => log('client close'));
  log('client flowing ' + flowing(c));
} });
scen.push({ name: 'remove all readable', server(s, log) {
  s.on('readable', () => {
    log('readable ' + show(s.read()));
    s.removeAllListeners('readable');
    s.on('data', (d) => { log('data ' + show(d)); s.write('k'); });
    log('flowing ' + flowing(s));
    process.nextTick(() => log('tick flowing ' + flowing(s)));
    s.write('k');
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b'] });
scen.push({ name: 'destroy in readable', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    s.destroy();
    log('read ' + show(s.read()) + ' ' + s.readableLength);
    process.nextTick(() => log('tick ' + show(s.read())));
  });
  s.on('data', (d) => log('data ' + show(d)));
  s.on('end', () => log('end'));
}, chunks: ['ab'] });
scen.push({ name: 'pause then read', server(s, log) {
  s.on('data', (d) => {
    log('data ' + show(d));
    s.pause();
    s.write('k');
    (function poll() {
      if (s.readableLength > 0 || s._readableState.ended) {
        log('read ' + show(s.read()) + ' ' + flowing(s));
        if (!s._readableState.ended) setTimeout(poll, 2);
      } else setTimeout(poll, 2);
    })();
  });
  s.on('end', () => { log('end'); s.end(); });
}, chunks: ['a', 'b'] });
scen.push({ name: 'destroy at end', server(s, log) {
  s.on('readable', () => {
    log('readable ' + s.readableLength);
    if (s.readableLength === 0) { s.destroy(); log('destroyed'); }
    log('read ' + show(s.read()));
  });
  s.on('end', () => log('end'));
}, chunks: ['ab'] });
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => { s.on('close', (h) => { log('close ' + h); srv.close(); resolve(); }); sc.server(s, log); });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('error', () => {});
        if (sc.client) return sc.client(c, log);
        let i = 0;
        const next = () => {
          if (i >= sc.chunks.length) return;
          const x = Buffer.from(sc.chunks[i++], 'latin1');
          if (i === sc.chunks.length) c.end(x); else c.write(x);
        };
        if (sc.gap) {
          c.resume();
          const t = setInterval(() => { next(); if (i >= sc.chunks.length) clearInterval(t); }, sc.gap);
        } else {
          c.on('data', next);
          next();
        }
      });
    });
    console.log(sc.name + ': ' + JSON.stringify(lines));
  }
})();

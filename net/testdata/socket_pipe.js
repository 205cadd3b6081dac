// The node side of the Pipe tests (net/socket_pipe_test.go): node
// net/testdata/socket_pipe.js prints each scenario's events in turn.
const net = require('net');
const log = (x) => console.log(x);
const counts = (s) => ['unpipe', 'error', 'close', 'finish', 'drain', 'data'].map((e) => s.listenerCount(e)).join(' ');

// A connected pair: [server side, client side, server], once both are there.
function pairOf() {
  return new Promise((resolve) => {
    const srv = net.createServer((s) => { srv.close(); resolve([s, c, srv]); });
    let c;
    srv.listen(0, '127.0.0.1', () => { c = net.connect(srv.address().port, '127.0.0.1'); });
  });
}

// Two connected sockets on a fresh server: fn(server side, client side, done).
function pair(name, fn) {
  return new Promise((resolve) => {
    log('== ' + name);
    const srv = net.createServer((s) => fn(s, c, () => { srv.close(); resolve(); }));
    let c;
    srv.listen(0, '127.0.0.1', () => { c = net.connect(srv.address().port, '127.0.0.1'); });
  });
}

const scenarios = [
  // s.pipe(s): an echo server.
  () => pair('echo', (s, c, done) => {
    s.on('pipe', (src) => log('pipe ' + (src === s) + ' ' + counts(s)));
    s.on('unpipe', (src) => log('unpipe ' + (src === s) + ' ' + counts(s)));
    s.on('resume', () => log('resume'));
    s.on('end', () => log('end'));
    s.on('finish', () => log('finish'));
    s.on('close', () => { log('close ' + counts(s)); });
    const r = s.pipe(s);
    log('returned dest ' + (r === s) + ' flowing ' + s.readableFlowing);
    process.nextTick(() => log('tick'));
    c.setEncoding('utf8');
    c.write('hello');
    let n = 0;
    c.on('data', (d) => { log('client data ' + d); if (++n === 1) c.end('world'); });
    c.on('end', () => log('client end'));
    c.on('close', () => { log('client close'); done(); });
  }),
  // {end: false}: the source's end unpipes and leaves the destination open.
  () => pair('end false', (s, c, done) => {
    s.on('unpipe', () => log('unpipe ' + counts(s) + ' writable ' + s.writable));
    s.on('end', () => {
      log('end');
      process.nextTick(() => { log('writable after end ' + s.writable + ' ' + s.writableEnded); s.end('bye'); });
    });
    s.on('finish', () => log('finish'));
    s.pipe(s, { end: false });
    c.setEncoding('utf8');
    c.end('hi');
    c.on('data', (d) => log('client data ' + d));
    c.on('close', () => { log('client close'); done(); });
  }),
  // unpipe() while data flows: the source pauses, what comes next waits in it.
  () => pair('unpipe', (s, c, done) => {
    s.on('unpipe', (src) => log('unpipe ' + (src === s) + ' paused ' + s.isPaused() + ' flowing ' + s.readableFlowing));
    s.on('pause', () => log('pause'));
    s.pipe(s);
    c.setEncoding('utf8');
    c.write('one');
    c.once('data', (d) => {
      log('client data ' + d);
      s.unpipe(s);
      log('after unpipe ' + counts(s) + ' flowing ' + s.readableFlowing);
      s.unpipe(s);
      s.unpipe();
      log('again ' + counts(s));
      c.write('two');
      setTimeout(() => {
        log('buffered ' + s.readableLength);
        const x = s.read();
        log('read ' + x);
        c.destroy();
      }, 50);
    });
    let closed = 0;
    c.on('close', () => { log('client close'); if (++closed === 2) done(); });
    s.on('close', () => { log('close'); if (++closed === 2) done(); });
  }),
  // The destination closes: the source is unpiped and paused.
  () => pair('dest closes', (s, c, done) => {
    // The client's socket reads from the server side and writes to the client's own peer... pipe c into s.
    c.on('unpipe', () => log('unpipe c ' + counts(c) + ' paused ' + s.isPaused() + ' flowing ' + s.readableFlowing));
    c.on('close', () => log('c close'));
    s.on('pause', () => log('s pause'));
    s.pipe(c);
    c.write('x');
    s.once('data', () => {
      log('s data');
      c.destroy();
      setTimeout(() => { log('s flowing ' + s.readableFlowing + ' ' + counts(s)); s.destroy(); done(); }, 20);
    });
  }),
  // pipe() after the source has ended: dest.end() on the next tick.
  () => pair('pipe after end', (s, c, done) => {
    s.on('end', () => {
      log('end');
      s.on('unpipe', () => log('unpipe'));
      s.on('finish', () => log('finish'));
      s.pipe(s);
      log('piped');
      process.nextTick(() => log('tick'));
    });
    s.resume();
    s.allowHalfOpen = true;
    c.end();
    c.on('end', () => log('client end'));
    c.on('close', () => { log('client close'); done(); });
  }),
  // The destination errs: the pipe's own "error" listener, which runs
  // first, unpipes (the source pauses), then the others hear it.
  () => pair('dest errs', (s, c, done) => {
    c.on('unpipe', () => log('unpipe c ' + counts(c)));
    c.on('error', (e) => log('c error ' + e.message + ' ' + counts(c)));
    c.on('close', () => { log('c close'); s.destroy(); done(); });
    s.on('pause', () => log('s pause'));
    s.pipe(c);
    log('error listeners ' + c.listenerCount('error'));
    c.destroy(new Error('boom'));
  }),
  // A source with an encoding writes its strings as UTF-8: a lone
  // surrogate the utf16le decoder gives at the end is U+FFFD.
  () => pair('strings', (s, c, done) => {
    s.setEncoding('utf16le');
    s.pipe(s);
    const got = [];
    c.on('data', (d) => got.push(d));
    c.on('end', () => log('client got ' + Buffer.concat(got).toString('hex')));
    c.on('close', () => { log('client close'); done(); });
    c.write(Buffer.from([0x41, 0x00, 0x3d]));
    setTimeout(() => c.end(Buffer.from([0xd8, 0x42, 0x00, 0x00, 0xd8])), 20);
  }),
  // Two destinations, one of whose peers does not read for a while: the
  // source pauses when either write says to wait, and flows again once
  // both have drained; each gets everything, then the end.
  async () => {
    log('== two dests');
    const [s1, c1, srv1] = await pairOf();
    const [s2, c2, srv2] = await pairOf();
    const [s3, c3, srv3] = await pairOf();
    let pauses = 0, resumes = 0, unpipes = 0;
    s1.on('pause', () => pauses++);
    s1.on('resume', () => resumes++);
    for (const d of [c2, c3]) d.on('unpipe', () => unpipes++);
    s1.pipe(c2);
    s1.pipe(c3);
    const total = 4 << 20;
    const got = [0, 0];
    s2.pause();
    s2.on('data', (d) => { got[0] += d.length; });
    s3.on('data', (d) => { got[1] += d.length; });
    c1.end(Buffer.alloc(total, 'x'));
    setTimeout(() => {
      log('while s2 waits: paused ' + s1.isPaused() + ' s2 got ' + got[0] + ' s3 short ' + (got[1] < total) + ' buffered <= 64K ' + (s1.readableLength <= 65536));
      s2.resume();
    }, 300);
    let ended = 0;
    await new Promise((resolve) => {
      // The two ends come in either order (two sockets' FINs): logged
      // together, in a fixed one, once both have come.
      const at = [0, 0];
      for (const [i, s] of [[0, s2], [1, s3]]) s.on('end', () => { at[i] = got[i]; if (++ended === 2) { log('end 2 got ' + at[0]); log('end 3 got ' + at[1]); resolve(); } });
    });
    log('paused and resumed ' + (pauses > 0) + ' ' + (resumes > 1) + ' unpipes ' + unpipes);
    for (const x of [s1, c1, s2, c2, s3, c3]) x.destroy();
    for (const x of [srv1, srv2, srv3]) x.close();
  },
];

(async () => { for (const f of scenarios) await f(); })();

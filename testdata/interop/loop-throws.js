'use strict';
// The event loop after an exception the process survives (an
// "uncaughtException" listener), and what a round weighs before the next,
// under node, for event_loop_test.go (TestLoopAfterUncaughtExceptionAsNode),
// which runs the same steps on the port. LOOP_CASE picks the case.
const log = (s) => console.log(s);
const busy = (ms) => { const s = process.hrtime.bigint(); while (process.hrtime.bigint() - s < BigInt(ms) * 1000000n); };
process.on('exit', (c) => log('exit ' + c));
const caught = () => process.on('uncaughtException', (e) => log('caught ' + e.message));
switch (process.env.LOOP_CASE) {
  case 'timers-one-list': // the pass after the throw runs t2 first, then the ticks, then t3
    caught();
    setTimeout(() => { log('t1'); process.nextTick(() => log('tick')); throw new Error('x'); }, 1);
    setTimeout(() => log('t2'), 1);
    setTimeout(() => log('t3'), 1);
    busy(5);
    break;
  case 'timers-two-lists': // the ticks run before the next list
    caught();
    setTimeout(() => { log('t1'); process.nextTick(() => log('tick')); throw new Error('x'); }, 1);
    setTimeout(() => log('t2'), 2);
    busy(5);
    break;
  case 'immediates':
    caught();
    setImmediate(() => { log('i1'); process.nextTick(() => log('tick')); throw new Error('x'); });
    setImmediate(() => log('i2'));
    setImmediate(() => log('i3'));
    break;
  case 'tick-in-immediate':
    caught();
    setImmediate(() => {
      log('i1');
      process.nextTick(() => { log('A'); throw new Error('x'); });
      process.nextTick(() => log('B'));
    });
    setImmediate(() => log('i2'));
    break;
  case 'tick-in-main': // the ticks left wait for the first timer
    caught();
    process.nextTick(() => { log('A'); throw new Error('x'); });
    process.nextTick(() => log('B'));
    setTimeout(() => log('T'), 1);
    busy(5);
    break;
  case 'io': { // the ticks of a connection listener that throws wait for the client's connect
    caught();
    const net = require('net');
    const srv = net.createServer((s) => {
      log('S.conn');
      process.nextTick(() => log('S.tick'));
      s.resume();
      s.on('end', () => { s.end(); srv.close(); });
      throw new Error('x');
    });
    srv.listen(0, '127.0.0.1', () => {
      const c = net.connect(srv.address().port, '127.0.0.1', () => { log('C.connect'); c.end(); });
    });
    break;
  }
  case 'io-then-immediate': { // the ticks of a connection listener that throws run before the immediates
    caught();
    const net = require('net');
    const srv = net.createServer((s) => {
      log('S.conn');
      process.nextTick(() => log('S.tick'));
      setImmediate(() => log('S.imm'));
      s.end();
      srv.close();
      throw new Error('x');
    });
    srv.listen(0, '127.0.0.1', () => {
      net.connect(srv.address().port, '127.0.0.1').resume();
    });
    break;
  }
  case 'main-then-immediate': // so do those of the main script that throws
    caught();
    process.nextTick(() => log('tick'));
    setImmediate(() => log('I'));
    throw new Error('main');
  case 'unref-immediate-after-throw': // the handled exception keeps the loop one more round
    caught();
    setImmediate(() => { log('i1'); setImmediate(() => log('i2 unref')).unref(); throw new Error('x'); });
    break;
  case 'unref-timer-after-throw':
    caught();
    setTimeout(() => { log('t1'); busy(5); throw new Error('x'); }, 1);
    setTimeout(() => log('unref t3'), 3).unref();
    break;
  case 'beforeexit-throws': {
    caught();
    let n = 0;
    process.on('beforeExit', () => { n++; log('beforeExit ' + n); if (n < 3) throw new Error('be' + n); });
    break;
  }
  case 'unref-immediate-from-timer': // timers end the round: nothing is alive after them
    setTimeout(() => { log('t1'); setImmediate(() => log('unref imm')).unref(); }, 2);
    break;
}

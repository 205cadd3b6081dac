'use strict';
// The order of timers due together under node, for event_loop_test.go
// (TestTimersOrderAsNode), which runs the same steps on the port's loop.
// TIMERS_CASE picks the case.
const log = (s) => console.log(s);
const busy = (ms) => { const s = process.hrtime.bigint(); while (process.hrtime.bigint() - s < BigInt(ms) * 1000000n); };
switch (process.env.TIMERS_CASE) {
  case 'interval-timeout': { // the interval goes back behind the timeout its callback set
    let n = 0;
    const iv = setInterval(() => {
      n++;
      log('interval ' + n);
      if (n === 1) setTimeout(() => log('timeout'), 10);
      if (n === 3) clearInterval(iv);
    }, 10);
    break;
  }
  case 'interval-refresh': { // refreshed in its callback, still put back from its start
    let n = 0;
    const iv = setInterval(() => {
      n++;
      log('interval ' + n);
      if (n === 1) { setTimeout(() => log('timeout'), 10); iv.refresh(); }
      if (n === 3) clearInterval(iv);
    }, 10);
    break;
  }
  case 'slow-callback': { // a callback slower than the period: the rest of the list still runs in order
    setTimeout(() => { log('a'); busy(15); setTimeout(() => log('d'), 10); }, 10);
    setTimeout(() => log('b'), 10);
    setTimeout(() => log('c'), 12);
    break;
  }
  case 'refresh-order': { // a refreshed timer goes to the end of its list
    const a = setTimeout(() => log('a'), 20);
    setTimeout(() => log('b'), 20);
    setTimeout(() => { log('refresh a'); a.refresh(); }, 5);
    setTimeout(() => log('c'), 20);
    break;
  }
  case 'refresh-cleared-fired': { // a fired timeout cleared and refreshed keeps the loop alive its duration, with no call
    const t = setTimeout(() => log('t'), 30);
    setTimeout(() => {
      clearTimeout(t);
      t.refresh();
      log('refreshed');
      setTimeout(() => log('u unref'), 10).unref();
    }, 40);
    break;
  }
  // After an exception the process survives, the timers due run before
  // the ticks queued (node runs its timers in one callback scope).
  case 'throw-timer':
    process.on('uncaughtException', (e) => log('caught ' + e.message));
    setTimeout(() => { process.nextTick(() => log('tick')); throw new Error('x'); }, 1);
    setTimeout(() => log('t2'), 1);
    setTimeout(() => log('t3'), 50);
    busy(10); // both due by the first pass, even if the clock ticked between them
    break;
  case 'throw-tick':
    process.on('uncaughtException', (e) => log('caught ' + e.message));
    setTimeout(() => {
      process.nextTick(() => { log('tick1'); throw new Error('in tick'); });
      process.nextTick(() => log('tick2'));
    }, 1);
    setTimeout(() => log('t2'), 1);
    setTimeout(() => log('t3'), 50);
    busy(10);
    break;
  case 'throw-alone':
    process.on('uncaughtException', (e) => log('caught ' + e.message));
    setTimeout(() => { process.nextTick(() => log('tick')); throw new Error('x'); }, 1);
    setTimeout(() => log('t20'), 20);
    break;
}

'use strict';
// An Immediate's ref, unref, hasRef and clearImmediate under node, for
// event_loop_test.go (TestImmediateRefAsNode), which runs the same steps on
// the port's loop. IMM_CASE picks the case; each line printed is a step.
const log = (s) => console.log(s);
process.on('exit', (code) => log('exit ' + code));
switch (process.env.IMM_CASE) {
  case 'unref-alone': // nothing else keeps the loop alive: it never runs
    setImmediate(() => log('immediate')).unref();
    break;
  case 'unref-timer': { // runs once a timer brings the loop round
    const i = setImmediate(() => log('immediate ' + i.hasRef())).unref();
    setTimeout(() => log('timeout'), 20);
    break;
  }
  case 'states': {
    const i = setImmediate(() => {
      log('ran ' + i.hasRef());
      i.ref();
      log('ref after run ' + i.hasRef());
    });
    log('set ' + i.hasRef());
    log('unref ' + i.unref().hasRef());
    log('ref ' + i.ref().hasRef());
    break;
  }
  case 'clear-unrefed': { // clearing an unref'd one, then ref: nothing
    const i = setImmediate(() => log('immediate')).unref();
    clearImmediate(i);
    log('cleared ' + i.ref().hasRef());
    setTimeout(() => log('timeout'), 5);
    break;
  }
  case 'unref-in-immediate': { // the second, unref'd by the first, still runs in its turn
    let b;
    setImmediate(() => { log('a'); b.unref(); });
    b = setImmediate(() => log('b'));
    break;
  }
}

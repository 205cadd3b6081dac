// Backs TestMaxListenersExceededWarning (internal/events/events_test.go):
// when node v20.20.2 warns, and how often, for one emitter.
const E = require('events');
const e = new E();
const f = () => {};
const log = (s) => process.stderr.write(`-- ${s}\n`);
log(`default ${E.defaultMaxListeners} get ${e.getMaxListeners()}`);
for (let i = 0; i < 11; i++) e.on('a', f);       // warns at 11
e.on('a', f);                                    // not again
log('12 a');
e.setMaxListeners(2);
for (let i = 0; i < 3; i++) e.on('b', f);        // warns at 3
for (let i = 0; i < 11; i++) e.removeListener('a', f);
log('a down to 1');
e.on('a', f); e.on('a', f);                      // warns again: its list was one
e.removeAllListeners('b');
e.on('b', f); e.prependListener('b', f); e.prependOnceListener('b', f); // again
e.setMaxListeners(0);
for (let i = 0; i < 20; i++) e.on('c', f);       // never
log(`get ${e.getMaxListeners()}`);
e.setMaxListeners(1);
e.on('1', f); e.on('1', f);

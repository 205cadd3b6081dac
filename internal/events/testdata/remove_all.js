// Backs TestRemoveAllListenersEmitsRemoveListener (internal/events/events_test.go):
// the "removeListener" events removeAllListeners() and removeAllListeners(type)
// emit, in node v20.20.2's order.
const E = require('events');
const e = new E();
const log = [];
const name = (f) => f.tag;
const mk = (tag) => { const f = () => {}; f.tag = tag; return f; };
e.on('b', mk('b1'));
e.on('removeListener', Object.assign((t, f) => log.push(`r1 ${t} ${name(f)}`), { tag: 'r1' }));
e.on('a', mk('a1'));
e.once('a', mk('a2'));
e.on('a', mk('a3'));
e.on('removeListener', Object.assign((t, f) => log.push(`r2 ${t} ${name(f)}`), { tag: 'r2' }));
e.on('c', mk('c1'));
e.removeAllListeners('a');
console.log(log.join('\n')); log.length = 0;
console.log('--- names', e.eventNames());
e.on('a', mk('a4'));
e.removeAllListeners();
console.log(log.join('\n'));
console.log('--- names', e.eventNames());

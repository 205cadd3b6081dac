// Backs TestListenersRawListenersEventNames (internal/events/events_test.go):
// node v20.20.2's listeners(), rawListeners(), eventNames() and the
// "newListener"/"removeListener" arguments, with a once and a
// prependOnce listener.
const E = require('events');
const e = new E();
const mk = (tag) => Object.assign(() => { console.log(`call ${tag}`); }, { tag });
const tag = (f) => f.tag ?? (f.listener ? `wrapper of ${f.listener.tag}` : '?');
e.on('newListener', Object.assign((t, f) => console.log(`newListener ${t} ${tag(f)}`), { tag: 'nl' }));
e.on('removeListener', Object.assign((t, f) => console.log(`removeListener ${t} ${tag(f)}`), { tag: 'rl' }));
e.on('zeta', mk('z1'));
e.on('b', mk('b1'));
e.once('b', mk('b2'));
e.prependOnceListener('b', mk('b0'));
e.on('10', mk('ten'));
e.on('2', mk('two'));
e.on('alpha', mk('a1'));
console.log('names', e.eventNames().join(','));
console.log('listeners', e.listeners('b').map(tag).join(','));
console.log('raw', e.rawListeners('b').map(tag).join(','));
console.log('count', e.listenerCount('b'));
e.emit('b');
console.log('listeners', e.listeners('b').map(tag).join(','));
e.removeAllListeners('zeta');
e.on('zeta', mk('z2'));
console.log('names', e.eventNames().join(','));
console.log('none', e.listeners('nothing').length, e.rawListeners('nothing').length);

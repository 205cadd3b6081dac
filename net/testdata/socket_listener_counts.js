// The node side of TestSocketOwnListenersAreNotCounted (net/socket_readable_test.go):
// node net/testdata/socket_listener_counts.js prints the listener counts.
const net = require('net');
const s = new net.Socket();
const c = () => ['newListener', 'removeListener', 'close', 'error', 'data', 'readable'].map((e) => s.listenerCount(e)).join(' ');
console.log('new ' + c());
const f = () => {};
s.on('readable', f); console.log('readable ' + c() + ' flowing ' + s.readableFlowing);
s.removeListener('readable', f); console.log('removed ' + c());
const seen = [];
s.on('newListener', (e) => seen.push('new ' + e + ' ' + s.readableFlowing));
s.on('data', f); console.log('data ' + c() + ' flowing ' + s.readableFlowing + ' ' + seen.join(','));
s.removeAllListeners(); console.log('all removed ' + c());
s.destroy();

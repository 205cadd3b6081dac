// The node side of TestSocketConnectFailsWithWritesHeld (net/socket_stream_test.go).
const net = require('net');
const lines = []; const log = (x) => lines.push(x);
const c = net.connect(1, '127.0.0.1');
c.on('error', (e) => log('error ' + e.code));
log('w0 ' + c.write('z', (e) => log('cb0 ' + (e && e.code))));
c.cork();
c.write('a', (e) => log('cba ' + (e && e.code)));
c.write('b', (e) => log('cbb ' + (e && e.code)));
c.uncork();
c.cork();
c.write('c', (e) => log('cbc ' + (e && e.code)));
c.on('close', () => { log('close'); setImmediate(() => console.log(JSON.stringify(lines))); });

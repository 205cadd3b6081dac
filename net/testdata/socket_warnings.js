// The node side of TestSocketAndServerWarnings (net/socket_pipe_test.go):
// node net/testdata/socket_warnings.js prints the warnings a process gets.
const net = require('net');
process.on('warning', (w) => console.log(w.name + ': ' + w.message.replace(/\n/g, '|')));
const s = new net.Socket();
for (let i = 0; i < 11; i++) s.on('data', () => {});
const srv = net.createServer();
for (let i = 0; i < 11; i++) srv.on('connection', () => {});
s.setTimeout(2 ** 31);
console.log('sync end');
s.destroy();

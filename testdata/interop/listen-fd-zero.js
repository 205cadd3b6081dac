'use strict';
// listen({fd: 0}) on a listening socket passed as stdin (as an inetd-style
// supervisor passes it), for listen_fd_test.go (TestListenOnDescriptorZero):
// prints the address, answers one connection with "hi", and closes.
const net = require('net');
const server = net.createServer((c) => { c.end('hi'); server.close(() => console.log('closed')); });
server.on('error', (e) => console.log('error ' + e.code));
server.listen({ fd: 0 }, () => {
  const a = server.address();
  console.log('listening ' + a.family + ' ' + a.address + ' ' + (a.port > 0));
});

// A Node cluster worker whose loop is busy for 300 ms with its first
// connection (handoffs_in_flight_test.go): what the primary hands over
// meanwhile waits in the channel.
'use strict';
const net = require('net');
let first = true;
net.createServer((c) => {
  if (first) {
    first = false;
    const end = Date.now() + 300;
    while (Date.now() < end);
  }
  c.end('served\n');
}).listen(0, '127.0.0.1');

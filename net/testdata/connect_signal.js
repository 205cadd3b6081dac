'use strict';
// net.connect({signal}), the node side of TestConnectSignal: MODE=pre
// connects with a signal aborted already, during aborts it right after
// the connect call, after aborts it on 'connect'. It prints the client's
// events with its destroyed and pending states, and, 200 ms later, its
// destroyed state and how many connections the server took.
const net = require('net');

let conns = 0;
const server = net.createServer((c) => { conns++; c.on('error', () => {}); });
server.listen(0, '127.0.0.1', () => {
  const mode = process.env.MODE;
  const ac = new AbortController();
  const signal = mode === 'pre' ? AbortSignal.abort() : ac.signal;
  const s = net.connect({ port: server.address().port, host: '127.0.0.1', signal });
  for (const e of ['connect', 'ready', 'error', 'close']) {
    s.on(e, (x) => console.log(`${e}${x && x.code ? ' ' + x.code : ''} destroyed=${s.destroyed} pending=${s.pending}`));
  }
  if (mode === 'during') ac.abort();
  if (mode === 'after') s.on('connect', () => ac.abort());
  setTimeout(() => {
    console.log(`200 ms: destroyed=${s.destroyed} server connections=${conns}`);
    s.destroy();
    server.close();
  }, 200);
});

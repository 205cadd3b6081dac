'use strict';
// listen({signal}) in a cluster worker, the node side of
// TestListenSignalInWorker: MODE=pre listens with a signal aborted
// already, MODE=post aborts it in the listen callback. The worker prints
// its server's events and, 300 ms after the close, whether it listens; the primary
// prints the worker's exit.
const cluster = require('node:cluster');
const net = require('node:net');

if (cluster.isPrimary) {
  const w = cluster.fork();
  w.on('exit', (code, signal) => console.log(`worker exit ${code} ${signal}`));
} else {
  const s = net.createServer();
  for (const e of ['listening', 'close', 'error']) s.on(e, () => console.log(e));
  // 300 ms after the close (the primary's answer to a listen aborted
  // before it came must not make the server listen).
  s.on('close', () => setTimeout(() => {
    console.log(`300 ms later: listening ${s.listening}`);
    process.exit(0);
  }, 300));
  if (process.env.MODE === 'pre') {
    s.listen({ port: 0, signal: AbortSignal.abort() });
  } else {
    const c = new AbortController();
    s.listen({ port: 0, signal: c.signal }, () => {
      console.log('listening callback: abort');
      c.abort();
    });
  }
}

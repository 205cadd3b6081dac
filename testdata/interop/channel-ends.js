'use strict';
// How a worker's channel ends, as its ChildProcess tells it, under node,
// for TestChannelEndsAsNode (conformance_child_process_test.go), which
// runs the same primary on the port with Go workers. CHANNEL_CASE:
//   own-disconnect  the primary disconnects the channel itself once the
//                   worker is online: 'disconnect' and 'exit', and no
//                   'close' (only a channel end read from the child counts)
//   held-channel    the worker exits after 200 ms while a process it left
//                   behind holds its channel: 'exit' at once, 'close' and
//                   'disconnect' when that process lets go
const cluster = require('cluster');
const path = require('path');
const log = (s) => console.log(s);
if (cluster.isPrimary) {
  const c = process.env.CHANNEL_CASE;
  if (c === 'held-channel') {
    const node = process.execPath;
    process.execPath = '/bin/sh';
    cluster.setupPrimary({ exec: path.join(__dirname, 'channel-held.sh'), args: [node, __filename] });
  }
  const w = cluster.fork();
  const p = w.process;
  if (c === 'own-disconnect') w.on('online', () => p.disconnect());
  p.on('disconnect', () => log('cp:disconnect'));
  p.on('exit', (code, sig) => log('cp:exit ' + code + ' ' + sig));
  p.on('close', (code, sig) => log('cp:close ' + code + ' ' + sig));
  process.on('exit', () => log('primary exit'));
} else if (process.env.CHANNEL_CASE === 'held-channel') {
  setTimeout(() => process.exit(0), 200);
}

'use strict';
// worker.send(): the worker echoes every message back; the primary sends a
// string and an object, then disconnects the worker.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  const sent = ['hi there', { greeting: 'hi', n: [1, 2.5, null], nested: { ok: true } }];
  let got = 0;
  worker.send(sent[0]);
  worker.send(sent[1], () => console.log('second send done'));
  worker.on('message', (msg) => {
    console.log(`echo: ${JSON.stringify(msg)}`);
    if (++got === sent.length) worker.disconnect();
  });
  worker.on('exit', (code, signal) => console.log(`worker ${worker.id} exit ${code} ${signal}`));
} else {
  process.on('message', (msg) => {
    process.send(msg);
  });
}

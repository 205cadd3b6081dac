'use strict';
// worker.send(): the worker echoes every message back; the primary sends a
// string and an object, then disconnects the worker. A send once the
// worker is disconnected returns false and calls back with an error;
// without a callback, the error is the worker's 'error' event.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const worker = cluster.fork();
  const sent = ['hi there', { greeting: 'hi', n: [1, 2.5, null], nested: { ok: true } }];
  let got = 0;
  console.log(`send returned ${worker.send(sent[0])}`);
  worker.send(sent[1], (err) => console.log(`second send done: ${err}`));
  worker.on('message', (msg) => {
    console.log(`echo: ${JSON.stringify(msg)}`);
    if (++got === sent.length) worker.disconnect();
  });
  worker.on('disconnect', () => {
    const ret = worker.send('too late', (err) => console.log(`late send: ${err && err.code} ${err && err.message}`));
    console.log(`late send returned ${ret}`);
    console.log(`late send without a callback returned ${worker.send('too late again')}`);
  });
  worker.on('error', (err) => console.log(`worker error: ${err.code} ${err.message}`));
  worker.on('exit', (code, signal) => console.log(`worker ${worker.id} exit ${code} ${signal}`));
} else {
  process.on('message', (msg) => {
    process.send(msg);
  });
}

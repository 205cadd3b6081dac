'use strict';
// A node cluster worker for TestHostileLinesToWorker: it says
// {ready: true}, echoes every message back as {echo: message}, and
// disconnects on {bye: true}.
const cluster = require('node:cluster');

const w = cluster.worker;
w.on('message', (m) => {
  if (m && m.bye) {
    w.disconnect();
    return;
  }
  w.send({ echo: m });
});
w.send({ ready: true });

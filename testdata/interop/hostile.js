'use strict';
// A node primary for TestHostileLines: it forks one worker, this test
// binary as the scenario "hostile" (argv[2]), which writes the lines of
// HOSTILE_LINES on its channel and then the message {after: 'hostile'}.
// The primary prints what it sees, disconnects the worker on that
// message, and prints its own exit code (1 when a line crashed it).
const cluster = require('node:cluster');

process.execPath = process.argv[2];
cluster.setupPrimary({ exec: '/dev/null', args: [] });
process.on('exit', (code) => console.log(`primary exit ${code}`));
const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'hostile' });
w.on('message', (m) => {
  console.log(`message ${JSON.stringify(m)}`);
  if (m && m.after === 'hostile') w.disconnect();
});
w.on('error', (e) => console.log(`worker error ${e.code}`));
w.on('listening', (a) => console.log(`listening ${JSON.stringify(a)}`));
w.on('exit', (code, signal) => console.log(`exit ${code} ${signal}`));

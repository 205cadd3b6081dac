'use strict';
// A node primary for TestWorkerListensOnPrimarysChannel: it forks one
// worker, this test binary (argv[2]) as the scenario "own-fd", and sends
// it the descriptor of the primary's own end of their channel, on which
// the worker then listens (listen({fd})). It prints the worker's report
// and how it exited.
const cluster = require('node:cluster');

process.execPath = process.argv[2];
cluster.setupPrimary({ exec: '/dev/null', args: [] });
const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'own-fd' });
w.on('online', () => w.send({ fd: w.process.channel.fd }));
w.on('message', (m) => {
  console.log(JSON.stringify(m));
  w.disconnect();
});
w.on('exit', (code, signal) => console.log(`exit ${code} ${signal}`));

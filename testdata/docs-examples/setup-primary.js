'use strict';
// cluster.setupPrimary() twice, a fork after each: the first worker gets
// the first call's args and silent stdio; the second call gives only args,
// so the second worker gets its args and stays silent (a later call starts
// from the current settings). Each worker reports its arguments over IPC
// and writes a line on its stdout, which never reaches this output: both
// are silent.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const report = (worker) => {
    worker.on('message', (msg) => {
      console.log(`worker #${worker.id} args ${JSON.stringify(msg.args)} stdout piped ${worker.process.stdout !== null}`);
      worker.disconnect();
    });
    worker.on('exit', (code, signal) => console.log(`worker #${worker.id} exit ${code} ${signal}`));
  };
  cluster.setupPrimary({ args: ['--use', 'https'], silent: true });
  console.log(`settings: args ${JSON.stringify(cluster.settings.args)} silent ${cluster.settings.silent}`);
  const w1 = cluster.fork();
  report(w1);
  w1.on('exit', () => {
    cluster.setupPrimary({ args: ['--use', 'http'] });
    console.log(`settings: args ${JSON.stringify(cluster.settings.args)} silent ${cluster.settings.silent}`);
    report(cluster.fork());
  });
} else {
  console.log(`worker #${cluster.worker.id} writes on its stdout`);
  process.send({ args: process.argv.slice(2) });
}

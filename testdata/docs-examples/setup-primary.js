'use strict';
// cluster.setupPrimary() twice, a fork after each: the first worker gets
// the first call's args and silent stdio; the second call gives only args,
// so the second worker gets its args and stays silent (a later call starts
// from the current settings). Each worker reports its arguments over IPC
// and writes a line on its stdout, which never reaches this output: both
// are silent; the primary reads it from the pipe and prints it once the
// worker exited and the pipe ended.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const report = (worker, then) => {
    worker.on('message', (msg) => {
      console.log(`worker #${worker.id} args ${JSON.stringify(msg.args)} stdout piped ${worker.process.stdout !== null}`);
      worker.disconnect();
    });
    let out = '';
    let left = 2;
    let exit;
    const both = () => {
      if (--left > 0) return;
      console.log(exit);
      console.log(`worker #${worker.id} stdout: ${JSON.stringify(out)}`);
      then();
    };
    worker.process.stdout.setEncoding('utf8');
    worker.process.stdout.on('data', (d) => { out += d; });
    worker.process.stdout.on('end', both);
    worker.on('exit', (code, signal) => { exit = `worker #${worker.id} exit ${code} ${signal}`; both(); });
  };
  cluster.setupPrimary({ args: ['--use', 'https'], silent: true });
  console.log(`settings: args ${JSON.stringify(cluster.settings.args)} silent ${cluster.settings.silent}`);
  report(cluster.fork(), () => {
    cluster.setupPrimary({ args: ['--use', 'http'] });
    console.log(`settings: args ${JSON.stringify(cluster.settings.args)} silent ${cluster.settings.silent}`);
    report(cluster.fork(), () => {});
  });
} else {
  console.log(`worker #${cluster.worker.id} writes on its stdout`);
  process.send({ args: process.argv.slice(2) });
}

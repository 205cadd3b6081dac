'use strict';
// Signal dispositions, the node side of TestSignalsResetLikeNode: this
// primary is started with SIGHUP and SIGINT ignored (sh's trap '' HUP INT
// before exec). It prints whether it and each worker ignore them, then
// signals one worker per case and prints how each ended: node resets an
// inherited SIG_IGN at start-up, so SIGINT and SIGHUP kill; it ignores
// SIGXFSZ; SIGTRAP kills; a real-time signal kills, and its exit reads
// (0, null).
const cluster = require('node:cluster');
const fs = require('node:fs');

function ignores(signo) {
  const mask = /SigIgn:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
  return ((BigInt('0x' + mask) >> BigInt(signo - 1)) & 1n) === 1n;
}

if (cluster.isPrimary) {
  console.log(`primary ignores SIGHUP ${ignores(1)} SIGINT ${ignores(2)}`);
  const cases = ['SIGINT', 'SIGHUP', 'SIGXFSZ', 'SIGTRAP', '40'];
  const next = () => {
    const c = cases.shift();
    if (c === undefined) return;
    const w = cluster.fork();
    let timer;
    w.on('message', (m) => {
      console.log(`${c}: worker ignores SIGHUP ${m.hup} SIGINT ${m.int}`);
      process.kill(w.process.pid, Number.isNaN(Number(c)) ? c : Number(c));
      timer = setTimeout(() => {
        console.log(`${c}: alive 300 ms later`);
        w.disconnect();
      }, 300);
    });
    w.on('exit', (code, signal) => {
      clearTimeout(timer);
      console.log(`${c}: exit ${code} ${signal}`);
      next();
    });
  };
  next();
} else {
  process.send({ hup: ignores(1), int: ignores(2) });
}

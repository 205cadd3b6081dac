'use strict';
// IPC round trips per second between a Node primary and a child it forks
// with child_process.fork: the primary sends {n}, the child sends it back
// from its 'message' listener with process.send, the primary sends the
// next one from its own. Prints one number, round trips/s, on stdout.
//
// Usage: node scripts/ipc-bench-node.js [count [warmup]]
// (defaults: NODECLUSTER_IPC_BENCH_COUNT or 20000, NODECLUSTER_IPC_BENCH_WARMUP or 1000).
// scripts/ipc-bench runs it beside the Go paths.

const { fork } = require('child_process');

if (process.env.NODECLUSTER_IPC_BENCH_NODE_CHILD === '1') {
  process.on('message', (m) => {
    process.send(m);
  });
} else {
  const count = Number(process.argv[2] || process.env.NODECLUSTER_IPC_BENCH_COUNT || 20000);
  const warmup = Number(process.argv[3] || process.env.NODECLUSTER_IPC_BENCH_WARMUP || 1000);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(warmup) || warmup < 0) {
    console.error('usage: node ipc-bench-node.js [count >= 1 [warmup >= 0]]');
    process.exit(2);
  }
  const total = warmup + count;
  const child = fork(__filename, [], {
    env: { ...process.env, NODECLUSTER_IPC_BENCH_NODE_CHILD: '1' },
  });

  let next = 0; // the round trip whose reply is awaited
  let start = 0n;
  let rate = 0;
  const deadline = setTimeout(() => {
    console.error(`timed out after ${next} round trips`);
    process.exitCode = 1;
    child.kill('SIGKILL');
  }, 30000 + count);

  const send = () => {
    if (next === warmup) start = process.hrtime.bigint();
    child.send({ n: next });
  };

  child.on('message', (m) => {
    if (m === null || typeof m !== 'object' || m.n !== next) {
      console.error(`round trip ${next}: got ${JSON.stringify(m)}`);
      process.exitCode = 1;
      child.disconnect();
      return;
    }
    next++;
    if (next < total) {
      send();
      return;
    }
    const ns = process.hrtime.bigint() - start;
    rate = Math.round(count / (Number(ns) / 1e9));
    child.disconnect();
  });

  child.on('exit', (code, signal) => {
    clearTimeout(deadline);
    if (code !== 0) {
      console.error(`node child exited with code ${code}, signal ${signal}`);
      process.exitCode = 1;
      return;
    }
    if (process.exitCode) return;
    console.log(String(rate));
  });

  send();
}

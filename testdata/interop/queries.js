// queryServer messages written by hand (no net.Server sends them: its
// listen checks the port first), to see how a primary reads each value.
// Run by node, this script is the primary and forks itself once; the
// worker sends the queries one after the other and reports each reply:
// its errno, its key, the kind of handle that came with it (under
// SCHED_NONE) and the port, where the query fixed one. TestQueryServerValues
// runs the Go primary with the same worker, under both policies, and
// compares. Under round-robin, the queries a v20 primary dies of (a port of
// 1.5, 70000, true or null: listen throws) are left out; the Go primary
// answers those with EINVAL (TestHostileLines).
const cluster = require('cluster');
const path = require('path');

if (cluster.isPrimary) {
  const w = cluster.fork();
  w.on('message', (m) => {
    for (const r of m.replies) console.log(JSON.stringify(r));
    w.disconnect();
  });
  w.on('error', (e) => console.log('error', e.message));
} else {
  const dir = process.env.Q_DIR;
  const rr = process.env.NODE_CLUSTER_SCHED_POLICY !== 'none';
  const queries = [
    { address: '127.0.0.1', port: '0' },
    { address: '127.0.0.1', port: ' 0x0 ' },
    { address: '127.0.0.1', port: 0, addressType: '4' },
    { address: path.join(dir, 'a.sock'), port: 'abc' },
    { address: path.join(dir, 'b.sock'), port: -1 },
    { address: path.join(dir, 'c.sock'), port: -1, addressType: -1 },
  ];
  if (!rr) {
    queries.push(
      { address: '127.0.0.1', port: 70000 },
      { address: '127.0.0.1', port: -1 },
      { address: '127.0.0.1', port: 1.5 },
      { address: null, port: true },
    );
  }
  // The port where the query fixed it (the kernel's choice otherwise).
  const fixed = (q) => typeof q.port === 'number' && q.port !== 0;
  const replies = [];
  let i = 0;
  const next = () => {
    if (i === queries.length) {
      process.send({ replies });
      return;
    }
    const q = queries[i];
    process.send(Object.assign({ cmd: 'NODE_CLUSTER', act: 'queryServer', seq: 100 + i,
                                 addressType: 4, fd: -1, index: i, data: null }, q));
  };
  process.on('internalMessage', (m, handle) => {
    if (m.cmd !== 'NODE_CLUSTER' || !(m.ack >= 100)) return;
    const q = queries[m.ack - 100];
    let port = null;
    if (handle) {
      const out = {};
      if (handle.getsockname) handle.getsockname(out);
      port = fixed(q) ? out.port : 'P';
      handle.close();
    } else if (m.sockname) {
      port = fixed(q) ? m.sockname.port : 'P';
    }
    const key = m.key.split(dir).join('<dir>');
    replies.push([m.ack - 100, m.errno, key, handle ? handle.constructor.name : null, port]);
    i++;
    next();
  });
  next();
}

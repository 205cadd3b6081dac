'use strict';
// The Node v20 side of `go run ./bench`: the same modes as bench/goserver.
//
//   node bench/node-server.js cluster WORKERS PORT   (NODE_CLUSTER_SCHED_POLICY=rr|none picks the policy)
//   node bench/node-server.js forkonline N
//   node bench/node-server.js ipc N ONEWAY
//
// cluster prints "ready" once every worker listens; forkonline prints
// "forkonline_us: a b c ..."; ipc prints "roundtrips/s: N" and "oneway/s: N".
//
// Responses are byte for byte those of the Go contestants (the Date value
// aside): Content-Length, Content-Type, Node's own Date, and Connection:
// close when the request asked for it. Node would add "Connection:
// keep-alive" and "Keep-Alive: timeout=5" to a keep-alive response;
// removeHeader('Connection') leaves them out (the connection stays open,
// as HTTP/1.1 says without the header) so that the bytes match net/http's.

const cluster = require('cluster');
const http = require('http');

const body = Buffer.from('hello world\n');
const headers = { 'Content-Length': body.length, 'Content-Type': 'text/plain' };

function hello(req, res) {
  if (res.shouldKeepAlive) res.removeHeader('Connection');
  res.writeHead(200, headers);
  res.end(body);
}

const mode = cluster.isPrimary ? process.argv[2] : process.env.BENCH_MODE;

if (mode === 'cluster') {
  if (cluster.isPrimary) {
    const n = Number(process.argv[3] || 2);
    const port = Number(process.argv[4] || 0);
    let listening = 0;
    cluster.on('listening', () => {
      if (++listening === n) console.log('ready');
    });
    for (let i = 0; i < n; i++) cluster.fork({ BENCH_MODE: 'cluster', BENCH_PORT: String(port) });
    const stop = () => cluster.disconnect();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } else {
    http.createServer(hello).listen(Number(process.env.BENCH_PORT), '127.0.0.1');
  }
} else if (mode === 'forkonline') {
  if (cluster.isPrimary) {
    const n = Number(process.argv[3] || 10);
    const times = [];
    const next = () => {
      if (times.length === n) {
        console.log('forkonline_us: ' + times.join(' '));
        return;
      }
      const start = process.hrtime.bigint();
      const w = cluster.fork({ BENCH_MODE: 'forkonline' });
      w.on('online', () => {
        times.push(Number((process.hrtime.bigint() - start) / 1000n));
        w.disconnect();
      });
      w.on('exit', next);
    };
    next();
  }
  // A worker has nothing to do: it stays until disconnected.
} else if (mode === 'ipc') {
  if (cluster.isPrimary) {
    const n = Number(process.argv[3] || 20000);
    const oneway = Number(process.argv[4] || 100000);
    const warmup = 1000;
    const w = cluster.fork({ BENCH_MODE: 'ipc' });
    let next = 0;
    let start = 0n;
    let onewayStart = 0n;
    const send = () => {
      if (next === warmup) start = process.hrtime.bigint();
      w.send({ n: next });
    };
    w.on('message', (m) => {
      if (m.done !== undefined) {
        const s = Number(process.hrtime.bigint() - onewayStart) / 1e9;
        if (m.done !== oneway) {
          console.error(`worker got ${m.done} of ${oneway} one-way messages`);
          process.exit(1);
        }
        console.log('oneway/s: ' + Math.round(oneway / s));
        w.disconnect();
        return;
      }
      if (m.n !== next) {
        console.error(`round trip ${next}: got ${JSON.stringify(m)}`);
        process.exit(1);
      }
      next++;
      if (next < warmup + n) {
        send();
        return;
      }
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      console.log('roundtrips/s: ' + Math.round(n / s));
      onewayStart = process.hrtime.bigint();
      for (let i = 0; i < oneway - 1; i++) w.send({ o: i });
      w.send({ o: oneway - 1, last: true });
    });
    w.on('online', send);
  } else {
    let count = 0;
    process.on('message', (m) => {
      if (m.o !== undefined) {
        count++;
        if (m.last) process.send({ done: count });
        return;
      }
      process.send(m);
    });
  }
} else {
  console.error(`node-server.js: mode ${JSON.stringify(mode)}: want cluster, forkonline or ipc`);
  process.exit(2);
}

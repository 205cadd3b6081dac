// One interop scenario, run by Node v20 as the primary or as a worker.
//   node scenario.js SCENARIO            # primary (forks node workers, or
//                                        # INTEROP_GO_EXEC: that Go binary)
// The primary prints one line per cluster event, in the format the Go
// primary of interop_test.go prints, so the two can be compared.
'use strict';
const cluster = require('cluster');
const net = require('net');
const path = require('path');

const scenario = process.env.INTEROP_SCENARIO || process.argv[2];
const sockPath = path.join(process.env.INTEROP_TMP || require('os').tmpdir(), 'interop.sock');

const forms = {
  'listen-port0-host': (s) => s.listen(0, '127.0.0.1'),
  'listen-port0-host-cb': (s) => s.listen(0, '127.0.0.1', () => {}),
  'listen-port0': (s) => s.listen(0),
  'listen-port0-cb': (s) => s.listen(0, () => {}),
  'listen-options': (s) => s.listen({ port: 0, host: '127.0.0.1', backlog: 100 }),
  'listen-pipe': (s) => s.listen(sockPath),
  'two-workers': (s) => s.listen(0, '127.0.0.1'),
  'mixed': (s) => s.listen(0, '127.0.0.1'),
  'worker-disconnect': (s) => s.listen(0, '127.0.0.1', () => setTimeout(() => cluster.worker.disconnect(), 300)),
  'messages': (s) => s.listen(0, '127.0.0.1', () => process.send({ hello: 'from worker', n: 1 })),
};
if (!forms[scenario]) {
  console.error(`unknown scenario ${scenario}; known: ${Object.keys(forms).join(' ')}`);
  process.exit(2);
}

const port = (p) => (p > 0 ? '<port>' : String(p));

if (cluster.isPrimary) {
  const n = scenario === 'two-workers' || scenario === 'mixed' ? 2 : 1;
  const goExec = process.env.INTEROP_GO_EXEC;
  const say = (...a) => console.log(a.join(' '));
  let listening = 0;
  cluster.on('fork', (w) => say('fork', w.id));
  cluster.on('online', (w) => say('online', w.id));
  cluster.on('message', (w, m) => { say('message', w.id, JSON.stringify(m)); w.send({ echo: m }); });
  cluster.on('disconnect', (w) => say('disconnect', w.id));
  cluster.on('exit', (w, code, signal) => say('exit', w.id, code, signal, w.exitedAfterDisconnect));
  cluster.on('listening', (w, a) => {
    say('listening', w.id, a.addressType, a.address === null ? 'null' : a.address.replace(path.dirname(sockPath), '<tmp>'), port(a.port));
    const done = () => {
      if (++listening < n || scenario === 'worker-disconnect') return;
      for (const x of Object.values(cluster.workers)) x.disconnect();
    };
    if (a.port > 0) {
      const c = net.connect(a.port, '127.0.0.1');
      c.on('data', (d) => { say('client got', JSON.stringify(String(d))); c.destroy(); done(); });
    } else {
      done();
    }
  });
  const realExecPath = process.execPath;
  for (let i = 0; i < n; i++) {
    // INTEROP_GO_EXEC: Go workers (all of them, or the second in "mixed").
    process.execPath = goExec && (scenario !== 'mixed' || i === 1) ? goExec : realExecPath;
    cluster.fork({ INTEROP_SCENARIO: scenario, NODECLUSTER_TEST_WORKER: 'interop' });
  }
  process.execPath = realExecPath;
} else {
  const s = net.createServer((c) => c.end('hi'));
  process.on('message', () => {});
  forms[scenario](s);
}

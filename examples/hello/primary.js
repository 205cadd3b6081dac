// A Node v20 primary whose workers are examples/hello's Go binary:
//   go build -o /tmp/hello ./examples/hello
//   node examples/hello/primary.js /tmp/hello 8000 2
// Node's cluster.fork runs process.execPath with this script as its first
// argument; pointing execPath at the Go binary is all it takes. The Go
// worker takes its port from $PORT.
'use strict';
const cluster = require('cluster');
const [bin, port = '8000', n = '2'] = process.argv.slice(2);
if (!bin) {
  console.error('usage: node primary.js GO_BINARY [PORT] [WORKERS]');
  process.exit(2);
}
process.execPath = bin;
cluster.on('listening', (w, a) => console.log(`worker ${w.id} (pid ${w.process.pid}) listening on port ${a.port}`));
cluster.on('exit', (w, code, signal) => console.log(`worker ${w.id} exited (${code}, ${signal})`));
// A worker that dies of Ctrl-C's SIGINT (sent to the whole process group)
// before stop's disconnect reaches it makes that disconnect's write fail
// (EPIPE), an 'error' on the worker: nothing to do about it here.
cluster.on('fork', (w) => w.on('error', () => {}));
for (let i = 0; i < +n; i++) cluster.fork({ PORT: port });
const stop = () => cluster.disconnect(() => console.log('primary: all workers gone'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// Advanced serialization with real Node v20: the primary sets
// serialization 'advanced' and forks two workers, which listen on one
// port (0, 127.0.0.1; round-robin, or shared with
// NODE_CLUSTER_SCHED_POLICY=none) and send a sample of values JSON cannot
// carry; the primary checks each sample, sends each worker a payload
// (Map, Set, Date, Buffer, BigInt, undefined, holes, a cycle, shared
// objects, a RegExp, an Error with a cause, a Uint16Array), which the
// worker echoes; four clients in a row are served; then each worker
// disconnects and exits. Received values are compared with the expected
// ones, once through the channel's serializer and deserializer, by what
// the channel's serializer writes for them.
//   node advanced.js                        # Node workers
//   INTEROP_GO_EXEC=bin node advanced.js    # that Go binary as the workers
// advanced_test.go builds the same values in Go (advancedPayload,
// advancedSample) and runs the Go primary against these workers.
'use strict';
const cluster = require('cluster');
const net = require('net');
const v8 = require('v8');

class ChildProcessSerializer extends v8.DefaultSerializer {
  _writeHostObject(object) {
    this.writeUint32(0);
    return super._writeHostObject(object);
  }
}

class ChildProcessDeserializer extends v8.DefaultDeserializer {
  _readHostObject() {
    if (this.readUint32() !== 0) throw new Error('not an array buffer view');
    return super._readHostObject();
  }
}

function serialize(value) {
  const ser = new ChildProcessSerializer();
  ser.writeHeader();
  ser.writeValue(value);
  return ser.releaseBuffer();
}

function hex(value) {
  return serialize(value).toString('hex');
}

// received is what a value looks like once it came over the channel: V8
// reads every array as holey, so one sent dense is written back sparse.
function received(value) {
  const des = new ChildProcessDeserializer(serialize(value));
  des.readHeader();
  return des.readValue();
}

function payload() {
  const cycle = { name: 'cycle' };
  cycle.self = cycle;
  const shared = { shared: true };
  const err = new TypeError('bad', { cause: 'why' });
  delete err.stack;
  return {
    map: new Map([['k', new Set([1, 'two'])], [3, shared]]),
    date: new Date(1700000000000),
    buf: Buffer.from([0, 1, 2, 255]),
    big: 2n ** 64n,
    neg: -42n,
    undef: undefined,
    arr: [undefined, , -0, NaN, 1.5, 'é😀', '\ud800'],
    cycle,
    both: [shared, shared],
    re: /a+b/gi,
    err,
    u16: new Uint16Array([1, 2]),
  };
}

function sample(id) {
  return {
    id,
    when: new Date(id * 1000),
    ids: new Set([id, String(id)]),
    raw: Buffer.from('w' + id),
    big: BigInt(id) ** 20n,
    nothing: undefined,
    list: [id, , 'x'],
  };
}

if (cluster.isPrimary) {
  const lines = [];
  const say = (...a) => lines.push(a.join(' '));
  if (process.env.INTEROP_GO_EXEC) process.execPath = process.env.INTEROP_GO_EXEC;
  cluster.setupPrimary({ serialization: 'advanced' });
  const N = 2;
  let listening = 0;
  let echoed = 0;
  let clientsDone = false;
  const served = new Set();
  const workers = [];
  const finish = () => {
    if (echoed === N && clientsDone) for (const w of workers) w.send({ bye: true });
  };
  const connect = (port, i) => {
    if (i === 4) {
      // Round-robin hands the connections out in turn; with SCHED_NONE
      // the kernel chooses.
      if (cluster.schedulingPolicy === cluster.SCHED_RR)
        say('clients served by', [...served].sort().join(','));
      else
        say('clients served', i);
      clientsDone = true;
      finish();
      return;
    }
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.setEncoding('utf8');
    c.on('data', (d) => { data += d; });
    c.on('end', () => {
      served.add(data);
      connect(port, i + 1);
    });
  };
  // Node's channel to a worker counts a write that carries a handle as
  // asynchronous and unrefs the channel when it completes, so once the
  // primary has sent a handle (a connection, or the shared listening
  // socket), its loop no longer waits for the channel: a worker that exits
  // right after it disconnects (a Go one does) can leave its end of the
  // channel unread when the primary's loop empties, and "disconnect" never
  // comes (node v20.20.2 loses it, now and then, under load). The primary
  // holds its loop until each worker's "disconnect", for 10 s at most.
  let disconnected = 0;
  const hold = setTimeout(() => {}, 10000);
  for (let i = 0; i < N; i++) {
    const w = cluster.fork({ NODECLUSTER_TEST_WORKER: 'interop-advanced' });
    workers.push(w);
    w.on('online', () => say('worker', w.id, 'online'));
    w.on('listening', (addr) => {
      say('worker', w.id, 'listening', addr.address);
      if (++listening === N) connect(addr.port, 0);
    });
    w.on('message', (m) => {
      if (m.ready) {
        const got = hex(m.sample);
        say('worker', w.id, 'sample', got === hex(received(sample(w.id))) ? 'same' : got);
        w.send(payload());
      } else if ('echo' in m) {
        const got = hex(m.echo);
        say('worker', w.id, 'echo', got === hex(received(payload())) ? 'same' : got);
        echoed++;
        finish();
      } else {
        say('worker', w.id, 'unexpected message', hex(m));
      }
    });
    w.on('disconnect', () => {
      say('worker', w.id, 'disconnect');
      if (++disconnected === N) clearTimeout(hold);
    });
    w.on('exit', (code, signal) => say('worker', w.id, 'exit', code, signal, w.exitedAfterDisconnect));
  }
  process.on('exit', () => console.log(lines.sort().join('\n')));
} else {
  const id = cluster.worker.id;
  const server = net.createServer((c) => c.end('worker ' + id));
  cluster.worker.on('message', (m) => {
    if (m && m.bye) {
      cluster.worker.disconnect();
      return;
    }
    process.send({ echo: m });
  });
  server.listen(0, '127.0.0.1', () => process.send({ ready: true, sample: sample(id) }));
}

// A worker's dgram socket in a cluster: the primary binds the UDP socket
// (shared_handle.js, under either scheduling policy) and sends it to each
// worker that binds the same address, port and type. Run by node, this
// script is the primary and forks itself once per form, one after the
// other; TestClusterDgram runs the Go primary with these same workers and
// compares what both primaries print.
const cluster = require('cluster');
const dgram = require('dgram');

const forms = ['v4', 'any', 'v6', 'share', 'other', 'inuse', 'reuse', 'v6only', 'v4only', 'fd', 'bindfd', 'send', 'reopen', 'queries', 'unshared'];
// The forms where a second worker binds once the first has reported.
const pairs = ['share', 'other', 'bindfd'];

function report(s, m) {
  // A datagram to the worker's socket from a socket of the worker's own
  // (bound outside the cluster), answered by the worker.
  const c = dgram.createSocket(s.type);
  const { address, port } = s.address();
  const to = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  s.on('message', (d, rinfo) => s.send('pong ' + d, rinfo.port, rinfo.address));
  c.on('message', (d) => {
    c.close();
    process.send(Object.assign({ got: String(d) }, m));
  });
  c.send('ping', port, to);
}

function fail(e) {
  process.send({ error: { code: e.code, errno: e.errno, syscall: e.syscall,
                          address: e.address, port: e.port, message: e.message } });
}

if (cluster.isPrimary) {
  const print = (...a) => console.log(a.join(' '));
  const P = (s) => s.replace(/"port":\d+/g, '"port":P').replace(/(bind [A-Z]+ [^"]*):\d+"/g, '$1:P"')
    .replace(/"fd":\d+/g, '"fd":F');
  const next = () => {
    const form = forms.shift();
    if (!form) return;
    let port = 0;
    let workers = 0;
    let called = false; // cluster.disconnect's callback ran ('unshared')
    const exited = [];
    const live = [];
    // One worker after the other, so that the exits come in order.
    const disconnect = () => {
      const w = live.shift();
      if (w) {
        w.once('exit', disconnect);
        w.disconnect();
      }
    };
    let fd = '';
    if (form === 'bindfd') {
      // A UDP socket of the primary's own, bound and not read, whose
      // descriptor the workers bind (test-cluster-dgram-bind-fd.js): the
      // primary opens that descriptor for them.
      const { UDP } = process.binding('udp_wrap');
      const raw = new UDP();
      raw.bind('127.0.0.1', 0, 0);
      fd = String(raw.fd);
    }
    const fork = (env) => {
      workers++;
      const w = cluster.fork(Object.assign({ DG_FORM: form }, env));
      if (form === 'unshared') {
        // The two workers' exits race: printed once both are in, by id.
        w.on('exit', (code, signal) => {
          exited.push([w.id, JSON.stringify(code), JSON.stringify(signal)]);
          if (--workers > 0) return;
          setImmediate(() => {
            exited.sort((a, b) => a[0] - b[0]).forEach((e) => print(form, e[0], 'exit', e[1], e[2]));
            print(form, 'disconnect callback', called);
            next();
          });
        });
        w.on('listening', (a) => print(form, w.id, 'listening', P(JSON.stringify(a))));
        return w;
      }
      live.push(w);
      w.on('error', (e) => print(form, w.id, 'error', e.message));
      w.on('listening', (a) => {
        port = a.port;
        print(form, w.id, 'listening', P(JSON.stringify(a)));
      });
      w.on('message', (m, handle) => {
        print(form, w.id, 'message', P(JSON.stringify(m)));
        if (handle) {
          // A dgram.Socket the worker sent: the same socket, here.
          print(form, w.id, 'handle', handle.address().port === m.port);
          handle.close();
        }
        if (pairs.includes(form) && workers === 1) {
          // Another worker binds the same port: as port 0 (or the same
          // fd) it has the first one's key and shares its socket; as the
          // port's number it has a key of its own, and the primary's bind
          // fails.
          fork({ DG_PORT: String(port), DG_FD: fd });
          return;
        }
        disconnect();
      });
      w.on('exit', (code, signal) => {
        print(form, w.id, 'exit', JSON.stringify(code), JSON.stringify(signal));
        if (--workers > 0) return;
        if (!port) return next();
        // Once every worker is gone, the primary has closed the socket.
        const s = dgram.createSocket(form.startsWith('v6') ? 'udp6' : 'udp4');
        s.on('error', (e) => { print(form, 'port free', e.code); s.close(); next(); });
        s.bind(port, () => { print(form, 'port free', true); s.close(next); });
      });
    };
    if (form === 'unshared') {
      // A worker that binds nothing, disconnected once another has bound
      // a UDP socket, and then cluster.disconnect()
      // (test-cluster-disconnect-unshared-udp.js); whether its callback
      // ran is printed once both workers have exited.
      const idle = fork({ DG_ROLE: 'idle' });
      idle.on('online', () => {
        fork({}).on('listening', () => {
          idle.on('disconnect', () => cluster.disconnect(() => { called = true; }));
          idle.disconnect();
        });
      });
      return;
    }
    fork({ DG_FD: fd });
  };
  next();
} else {
  const form = process.env.DG_FORM;
  if (form === 'v4' || form === 'share' || form === 'other') {
    const first = process.env.DG_PORT;
    const s = dgram.createSocket('udp4');
    s.on('error', fail);
    s.bind(form === 'other' && first ? Number(first) : 0, '127.0.0.1', () => {
      report(s, first ? { samePort: s.address().port === Number(first) } : { bound: s.address().address });
    });
  } else if (form === 'any') {
    const s = dgram.createSocket('udp4');
    s.bind(0, () => report(s, { bound: s.address().address }));
  } else if (form === 'v6') {
    const s = dgram.createSocket('udp6');
    s.bind(0, '::1', () => report(s, { bound: s.address().address, family: s.address().family }));
  } else if (form === 'inuse' || form === 'reuse') {
    // The port is taken by a socket bound outside the cluster; with
    // reuseAddr on both, the primary's bind shares it.
    const reuseAddr = form === 'reuse';
    const own = dgram.createSocket({ type: 'udp4', reuseAddr });
    own.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr });
      s.on('error', (e) => { own.close(); fail(e); });
      s.bind(own.address().port, '127.0.0.1', () => { own.close(); report(s, { shared: true }); });
    });
  } else if (form === 'v6only') {
    // An IPv6-only socket leaves the port's IPv4 side to another
    // (test-cluster-dgram-ipv6only.js).
    const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    s.on('error', fail);
    s.bind(0, '::', () => {
      const s4 = dgram.createSocket('udp4');
      s4.on('error', fail);
      s4.bind(s.address().port, '0.0.0.0', () => {
        const v4 = s4.address().address;
        s4.close();
        report(s, { bound: s.address().address, v4 });
      });
    });
  } else if (form === 'v4only') {
    // ipv6Only on an IPv4 socket: libuv refuses the flag in the primary.
    const s = dgram.createSocket({ type: 'udp4', ipv6Only: true });
    s.on('error', fail);
    s.bind(0, '127.0.0.1');
  } else if (form === 'fd') {
    // An fd is looked up in the primary, where 1 is its stdout, no UDP
    // socket.
    const s = dgram.createSocket('udp4');
    s.on('error', fail);
    s.bind({ fd: 1 });
  } else if (form === 'reopen') {
    // Two sockets on port 0 (two keys: index 0 and 1), each closed once
    // listening and replaced by another on port 0, which gets the key
    // (and index) the closed one left (test-cluster-child-index-dgram.js).
    let left = 4;
    const done = (s) => {
      process.nextTick(() => s.close(() => {
        if (--left === 0) process.send({ closed: 4 });
      }));
    };
    for (let i = 0; i < 2; i++) {
      const s = dgram.createSocket('udp4');
      s.bind(0, () => {
        done(s);
        const s2 = dgram.createSocket('udp4');
        s2.bind(0, () => done(s2));
      });
    }
  } else if (form === 'queries') {
    // queryServer messages no dgram socket sends, written by hand, to see
    // how the primary reads each value: a port above 65535, negative,
    // fractional or a string, flags as a string, an address that is no
    // IP, an array or a boolean, an fd that is no int32 or a string. The
    // first, with neither address nor port, leaves the primary an unbound
    // handle, which it cannot send: an error on its side, no reply here
    // (first, so that the error comes before the replies' report, whatever
    // the reads the queries arrive in).
    const queries = [
      { address: null, port: 0 },
      { address: '127.0.0.1', port: 70000 },
      { address: '127.0.0.1', port: -1 },
      { address: '127.0.0.1', port: 1.5 },
      { address: 'localhost', port: 0 },
      { address: ['127.0.0.1'], port: 0, flags: '4' },
      { address: null, port: '0', flags: null },
      { address: '127.0.0.1', port: 0, fd: 2.5 },
      { address: '127.0.0.1', port: '', fd: '5' },
      { address: true, port: 0 },
      { address: '::1', port: '123x', addressType: 'udp6' },
    ];
    const replies = [];
    process.on('internalMessage', (m, handle) => {
      if (m.cmd !== 'NODE_CLUSTER' || m.ack < 100) return;
      const out = {};
      if (handle) {
        handle.getsockname(out);
        handle.close();
      }
      // The port where the query fixed it (the others are the kernel's).
      const fixed = [1, 2, 3].includes(m.ack - 100);
      replies.push([m.ack - 100, m.errno, m.key, handle ? (fixed ? out.port : 'P') : null]);
      if (replies.length === queries.length - 1) process.send({ replies });
    });
    queries.forEach((q, i) => process.send(Object.assign({
      cmd: 'NODE_CLUSTER', act: 'queryServer', seq: 100 + i, addressType: 'udp4',
      fd: -1, index: i, data: null }, q)));
  } else if (form === 'unshared') {
    if (process.env.DG_ROLE !== 'idle') dgram.createSocket('udp4').bind(0);
  } else if (form === 'send') {
    // A socket bound outside the cluster, sent to the primary.
    const s = dgram.createSocket('udp4');
    s.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
      process.send({ port: s.address().port }, s, () => s.close());
    });
  } else if (form === 'bindfd') {
    const first = process.env.DG_PORT;
    const s = dgram.createSocket('udp4');
    s.on('error', fail);
    s.bind({ fd: Number(process.env.DG_FD) }, () => {
      report(s, first ? { samePort: s.address().port === Number(first) } : { bound: s.address().address });
    });
  }
}

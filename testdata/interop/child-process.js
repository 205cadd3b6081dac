// The Node v20 halves of the plain children (child_process.fork, no
// cluster) of conformance_child_process_test.go, so that the Go parent
// there also runs against real Node children:
//   node child-process.js <cp- scenario name>
// Each does what the Go scenario of the same name does, and reports a
// failed check with the same exit code (20: wrong handle, 21: wrong or
// unexpected message).
'use strict';
const net = require('net');

const WRONG_HANDLE = 20;
const WRONG_MESSAGE = 21;

const children = {
  'cp-net-server'() {
    let copy;
    const takeServer = (msg, server) => {
      if (!msg || msg.what !== 'server') return;
      process.off('message', takeServer);
      if (!(server instanceof net.Server)) process.exit(WRONG_HANDLE);
      copy = server;
      server.on('connection', (conn) => {
        process.send({ what: 'connection' });
        conn.destroy();
      });
      process.send({ what: 'listening' });
    };
    const closeServer = (msg) => {
      if (!msg || msg.what !== 'close') return;
      process.off('message', closeServer);
      copy.on('close', () => process.send({ what: 'close' }));
      copy.close();
    };
    process.on('message', takeServer);
    process.on('message', closeServer);
    process.send({ what: 'ready' });
  },

  'cp-net-socket'() {
    const take = (msg, socket) => {
      if (!msg || msg.what !== 'socket') return;
      process.off('message', take);
      if (!(socket instanceof net.Socket)) process.exit(WRONG_HANDLE);
      socket.end('echo');
    };
    process.on('message', take);
    process.send({ what: 'ready' });
  },

  'cp-keep-open'() {
    let calls = 0;
    process.on('message', (msg, socket) => {
      if (++calls > 1 || msg !== 'socket') process.exit(WRONG_MESSAGE);
      if (!(socket instanceof net.Socket)) process.exit(WRONG_HANDLE);
      socket.write('child', () => process.send('child_done'));
    });
  },

  'cp-getconnections'() {
    const kept = [];
    process.on('message', (msg, socket) => {
      if (msg.cmd === 'new') {
        if (!(socket instanceof net.Socket)) process.exit(WRONG_HANDLE);
        kept.push(socket);
      } else if (msg.cmd === 'close') {
        if (socket !== undefined) process.exit(WRONG_HANDLE);
        const target = kept[msg.id];
        if (!target) process.exit(WRONG_MESSAGE);
        const report = () => process.send({ id: msg.id, status: 'closed' });
        if (target.destroyed) {
          report();
        } else {
          target.once('close', report);
          target.destroy();
        }
      }
    });
  },

  'cp-net'() {
    const open = [];
    const endAll = () => {
      for (const s of open) s.end('end');
    };
    process.on('message', (msg, socket) => {
      if (!socket) return;
      if (msg === 'end') {
        socket.end('end');
      } else if (msg === 'write') {
        socket.write('write');
        open.push(socket);
      } else {
        process.exit(WRONG_MESSAGE);
      }
      socket.resume();
    });
    process.on('message', (msg) => {
      if (msg === 'close') endAll();
    });
    process.on('disconnect', endAll);
  },
};

const run = children[process.argv[2]];
if (!run) {
  console.error(`no child scenario ${process.argv[2]}`);
  process.exit(2);
}
run();

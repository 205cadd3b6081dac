// A primary started with descriptors it inherited open (not
// close-on-exec) forks a worker: node marks them close-on-exec at
// start-up (libuv's uv_disable_stdio_inheritance), so the worker does not
// get them. Each process reports whether it holds the file named MARKER.
//   MARKER=/tmp/x node inherited-fds.js 3</tmp/x 4</tmp/x
'use strict';
const cluster = require('cluster');
const fs = require('fs');

const holds = () => fs.readdirSync('/proc/self/fd').some((fd) => {
  try { return fs.readlinkSync('/proc/self/fd/' + fd) === process.env.MARKER; } catch { return false; }
});

if (cluster.isPrimary) {
  console.log('primary holds it', holds());
  const w = cluster.fork();
  w.on('message', (m) => { console.log('worker holds it', m); w.disconnect(); });
} else {
  process.send(holds());
}

'use strict';
// A Node worker for TestClusterForkStdio: it echoes what arrives on fd 4,
// a pipe its primary made (settings.stdio with a 'pipe' after the 'ipc'
// entry), without letting that pipe keep it alive.
const net = require('net');
const extra = new net.Socket({ fd: 4 });
extra.unref();
extra.on('data', (chunk) => extra.write(chunk));

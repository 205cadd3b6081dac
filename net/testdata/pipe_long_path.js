// Backs TestNetPipeWithLongPath (net/node_more_test.go): v20 cuts a 10000-byte
// Unix socket path at 107 bytes: listen succeeds, no file by the long name,
// and a connect to the long name reaches the server.
const net = require('net');
const fs = require('fs');
const dir = process.argv[2];
const pipePath = `${dir}/${'x'.repeat(10000)}.sock`;
const server = net.createServer((c) => { console.log('connection'); c.end(); })
  .listen(pipePath)
  .on('listening', () => {
    console.log('listening exists=' + fs.existsSync(pipePath) + ' address.length=' + server.address().length);
    const socket = net.connect(pipePath, () => {
      console.log('connect');
      socket.destroy();
      server.close(() => console.log('closed'));
    });
    socket.on('error', (e) => console.log('client error', e.code));
  })
  .on('error', (e) => console.log('listen error', e.code, e.message));

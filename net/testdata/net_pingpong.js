// Backs TestNetPingpong (net/node_more_test.go): 1000 PING/PONG rounds over a
// pipe, TCP on every interface, localhost and ::1, with the socket states the
// original asserts, printed where they change.
const net = require('net');
const fs = require('fs');
const results = [];
function pingPong(name, port, host, done) {
  const N = 1000;
  let count = 0, sentPongs = 0, finalPing = false;
  const log = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay();
    socket.setEncoding('utf8');
    let bad = 0;
    socket.on('data', (data) => {
      if (!(socket.bufferSize >= 0 && socket.bufferSize <= 4) || !socket.writable || !socket.readable || data !== 'PING') bad++;
      socket.write('PONG', () => sentPongs++);
    });
    socket.on('end', () => {
      log.push(`server end bad=${bad} allowHalfOpen=${socket.allowHalfOpen} writable=${socket.writable} readable=${socket.readable}`);
      socket.end();
    });
    socket.on('close', () => {
      log.push(`server close writable=${socket.writable} readable=${socket.readable}`);
      server.close();
    });
  });
  server.listen(port, host, () => {
    const client = host === undefined && typeof port === 'string' ? net.createConnection(port) : net.createConnection(server.address().port, host);
    client.setEncoding('ascii');
    client.on('connect', () => {
      log.push(`client connect readable=${client.readable} writable=${client.writable}`);
      client.write('PING');
    });
    client.on('data', (data) => {
      count++;
      if (finalPing) {
        log.push(`client data after final ping ${data} writable=${client.writable} readable=${client.readable}`);
        return;
      }
      if (count < N) client.write('PING');
      else { finalPing = true; client.write('PING'); client.end(); }
    });
    client.on('close', () => {
      log.push(`client close count=${count} sentPongs=${sentPongs}`);
    });
  });
  server.on('close', () => { results.push([name, log]); done(); });
}
const pipe = '/tmp/nt-pingpong.sock';
try { fs.unlinkSync(pipe); } catch {}
pingPong('pipe', pipe, undefined, () =>
  pingPong('tcp', 0, undefined, () =>
    pingPong('localhost', 0, 'localhost', () =>
      pingPong('::1', 0, '::1', () => console.log(JSON.stringify(results, null, 1))))));

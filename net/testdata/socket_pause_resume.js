// The node side of TestSocketPauseResumeEvents (net/socket_stream_test.go):
// node net/testdata/socket_pause_resume.js prints the client's events.
const net = require('net');
const srv = net.createServer((s) => { s.end('hello'); }).listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1');
  const log = (x) => console.log(x);
  c.on('pause', () => log('pause'));
  c.on('resume', () => log('resume'));
  log('isPaused ' + c.isPaused());
  c.pause(); log('paused ' + c.isPaused());
  c.pause();
  c.resume(); log('resumed ' + c.isPaused());
  c.resume();
  process.nextTick(() => log('tick1'));
  c.on('connect', () => {
    log('connect');
    c.pause();
    c.on('data', (d) => log('data ' + d));
    log('after data listener ' + c.isPaused());
    setTimeout(() => { c.resume(); process.nextTick(() => log('tick2')); }, 20);
  });
  c.on('end', () => log('end'));
  c.on('close', () => { log('close'); srv.close(); });
});

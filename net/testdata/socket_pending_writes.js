// The node side of TestSocketWritesWhileConnectingBehindABigOne
// (net/socket_stream_test.go): each scenario's client events and what the
// server read (its size and last two bytes).
const net = require('net');
const scen = [
  (c, log) => c.on('drain', () => { log('drain ' + c.writableLength); c.end(); }),
  (c, log) => { c.on('finish', () => log('finish')); c.end('c'); log('ended ' + c.writableLength); },
];
(async () => {
  for (const sc of scen) {
    const lines = []; const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => {
        let total = 0, last = '';
        s.on('data', (d) => { total += d.length; last = (last + d.toString('latin1')).slice(-2); });
        s.on('end', () => s.end());
        s.on('close', () => { log('server read ' + total + ' ' + JSON.stringify(last)); srv.close(); resolve(); });
      });
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.resume();
        c.on('connect', () => log('connect'));
        log('w1 ' + c.write(Buffer.alloc(8 << 20), () => log('cb1')));
        log('w2 ' + c.write('a', () => log('cb2')));
        log('w3 ' + c.write('b', () => log('cb3')));
        sc(c, log);
        c.on('close', () => log('close'));
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    console.log(JSON.stringify(lines));
  }
})();

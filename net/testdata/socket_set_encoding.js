// The node side of TestSocketSetEncoding (net/socket_stream_test.go):
// node net/testdata/socket_set_encoding.js prints each scenario's events.
const net = require('net');
const scen = [];
function waitUntil(cond, then) { const t0 = Date.now(); (function poll() { if (cond()) return then(); if (Date.now() - t0 > 5000) throw new Error('timeout'); setTimeout(poll, 2); })(); }
const show = (x) => typeof x === 'string' ? 'str ' + JSON.stringify(x) : 'buf ' + x.toString('hex');
// A: utf8, split char, ack per data, remainder at end
scen.push({ name: 'A', server(s, log) {
  log('enc ' + s.readableEncoding);
  log('ret ' + (s.setEncoding('UTF-8') === s) + ' ' + s.readableEncoding);
  s.on('data', (d) => { log('data ' + show(d)); s.write('k'); });
  s.on('end', () => { log('end'); s.end(); });
}, client(c) {
  let n = 0;
  c.write(Buffer.from('41e2', 'hex'));
  c.on('data', () => { n++; if (n === 1) c.write(Buffer.from('82ac42', 'hex')); if (n === 2) c.end(Buffer.from('43f0', 'hex')); });
}});
// B: paused, everything buffered incl. EOF, then setEncoding converts, remainder lost
scen.push({ name: 'B', server(s, log) {
  s.pause();
  s.on('end', () => { log('end'); s.end(); });
  waitUntil(() => s._readableState.ended, () => {
    log('len ' + s.readableLength);
    s.setEncoding('utf8');
    log('len ' + s.readableLength + ' ' + s.readableEncoding);
    s.on('data', (d) => log('data ' + show(d)));
    s.resume();
  });
}, client(c) { c.write(Buffer.from('41e282', 'hex')); setTimeout(() => c.end(Buffer.from('ace2', 'hex')), 30); }});
// C: paused, setEncoding before EOF, then EOF with a held char, then resume
scen.push({ name: 'C', server(s, log) {
  s.pause();
  s.on('end', () => { log('end'); s.end(); });
  s.on('data', (d) => log('data ' + show(d)));
  s.pause();
  waitUntil(() => s.bytesRead >= 3, () => {
    s.setEncoding('utf8');
    log('len ' + s.readableLength);
    s.write('k');
    waitUntil(() => s._readableState.ended, () => { log('len ' + s.readableLength); s.resume(); });
  });
}, client(c) { c.write(Buffer.from('41e282', 'hex')); c.on('data', () => c.end()); }});
// D: base64 remainder at end, hex
scen.push({ name: 'D', server(s, log) {
  s.setEncoding('base64');
  s.on('data', (d) => log('data ' + show(d)));
  s.on('end', () => { log('end'); s.end(); });
}, client(c) { c.end(Buffer.from('00010203', 'hex')); }});
scen.push({ name: 'E', server(s, log) {
  s.setEncoding('utf16le');
  s.on('data', (d) => log('data ' + show(d) + ' ' + d.length));
  s.on('end', () => { log('end'); s.end(); });
}, client(c) { c.end(Buffer.from('410042', 'hex')); }});
// G: a read that decodes to nothing emits no data
scen.push({ name: 'G', server(s, log) {
  s.setEncoding('utf8');
  s.on('data', (d) => log('data ' + show(d)));
  s.on('end', () => { log('end'); s.end(); });
  waitUntil(() => s.bytesRead >= 1, () => { log('read ' + s.bytesRead); s.write('k'); });
}, client(c) { c.write(Buffer.from('e2', 'hex')); c.on('data', () => c.end(Buffer.from('82ac', 'hex'))); }});
// F: unknown
scen.push({ name: 'F', server(s, log) {
  try { s.setEncoding('nope'); } catch (e) { log(e.name + ' ' + e.code + ' ' + e.message); }
  log('enc ' + s.readableEncoding);
  s.on('data', (d) => log('data ' + show(d)));
  s.on('end', () => { log('end'); s.end(); });
}, client(c) { c.end('x'); }});
(async () => {
  for (const sc of scen) {
    const lines = [];
    const log = (x) => lines.push(x);
    await new Promise((resolve) => {
      const srv = net.createServer((s) => { s.on('close', () => { log('close'); srv.close(); resolve(); }); sc.server(s, log); });
      srv.listen(0, '127.0.0.1', () => { const c = net.connect(srv.address().port, '127.0.0.1'); c.on('error', () => {}); c.on('data', () => {}); sc.client(c); });
    });
    console.log(sc.name + ': ' + JSON.stringify(lines));
  }
})();

// Backs TestNetAutoselectfamily (net/node_more_test.go): the original's five
// scenarios with a lookup that answers the addresses itself (IPv6 first).
const net = require('net');
function lookupOf(v6, v4) {
  const hosts = [...v6.map((address) => ({ address, family: 6 })), ...v4.map((address) => ({ address, family: 4 }))];
  return (hostname, options, cb) => options.all ? cb(null, hosts) : cb(null, hosts[0].address, hosts[0].family);
}
const out = [];
const steps = [
  (next) => {
    const s4 = net.createServer((s) => s.on('data', () => { s.write('response-ipv4'); s.end(); }));
    s4.listen(0, '127.0.0.1', () => {
      const port = s4.address().port;
      const c = net.createConnection({ host: 'example.org', port, lookup: lookupOf(['::1'], ['127.0.0.1']), autoSelectFamily: true });
      let r = ''; c.setEncoding('utf-8');
      c.on('ready', () => out.push('1 ready ' + c.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(String(port), 'P')).join(',')));
      c.on('data', (d) => r += d);
      c.on('end', () => { out.push('1 end ' + r); s4.close(next); });
      c.write('request');
    });
  },
  (next) => {
    const s4 = net.createServer((s) => s.on('data', () => { s.write('response-ipv4'); s.end(); }));
    s4.listen(0, '127.0.0.1', () => {
      const port = s4.address().port;
      const c = net.createConnection({ host: 'example.org', port, lookup: lookupOf(['2606:4700::6810:85e5', '2606:4700::6810:84e5', '::1'], ['104.20.22.46', '104.20.23.46', '127.0.0.1']), autoSelectFamily: true });
      let r = ''; c.setEncoding('utf-8');
      c.on('ready', () => out.push('2 ready ' + c.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(String(port), 'P')).join(',')));
      c.on('data', (d) => r += d);
      c.on('end', () => { out.push('2 end ' + r); s4.close(next); });
      c.write('request');
    });
  },
  (next) => {
    const s4 = net.createServer((s) => s.on('data', () => out.push('3 ipv4 data?!')));
    const s6 = net.createServer((s) => s.on('data', () => { s.write('response-ipv6'); s.end(); }));
    s4.listen(0, '127.0.0.1', () => {
      const port = s4.address().port;
      s6.listen(port, '::1', () => {
        const c = net.createConnection({ host: 'example.org', port, lookup: lookupOf(['::1'], ['127.0.0.1']), autoSelectFamily: true });
        let r = ''; c.setEncoding('utf-8');
        c.on('ready', () => out.push('3 ready ' + c.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(String(port), 'P')).join(',')));
        c.on('data', (d) => r += d);
        c.on('end', () => { out.push('3 end ' + r); s4.close(); s6.close(next); });
        c.write('request');
      });
    });
  },
  (next) => {
    const c = net.createConnection({ host: 'example.org', port: 10, lookup: lookupOf(['::1'], ['127.0.0.1']), autoSelectFamily: true });
    c.on('ready', () => out.push('4 ready?!'));
    c.on('error', (e) => { out.push(`4 error ${e.constructor.name} ${e.code} ${JSON.stringify(e.message)} ${c.autoSelectFamilyAttemptedAddresses} [${e.errors.map((x) => x.message)}]`); });
    c.on('close', () => next());
  },
  (next) => {
    const s4 = net.createServer((s) => s.on('data', () => out.push('5 data?!')));
    s4.listen(0, '127.0.0.1', () => {
      const port = s4.address().port;
      const c = net.createConnection({ host: 'example.org', port, lookup: lookupOf(['::1'], ['127.0.0.1']), autoSelectFamily: false });
      c.on('ready', () => out.push('5 ready?!'));
      c.on('error', (e) => { out.push(`5 error ${e.code} ${e.message.replace(String(port), 'P')} ${c.autoSelectFamilyAttemptedAddresses}`); s4.close(next); });
    });
  },
];
let i = 0;
const next = () => { if (i < steps.length) steps[i++](next); else console.log(out.join('\n')); };
next();

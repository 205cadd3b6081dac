// Backs TestNetAutoselectfamilyDefault and TestNetAutoselectfamilyIpv4first
// (net/node_more_test.go): setDefaultAutoSelectFamily on and off, and an
// answer with the A record first.
const net = require('net');
const lookupOf = (hosts) => (h, o, cb) => o.all ? cb(null, hosts) : cb(null, hosts[0].address, hosts[0].family);
const v6first = lookupOf([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
const v4first = lookupOf([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
const out = [];
const s4 = net.createServer((s) => s.on('data', () => { s.write('response-ipv4'); s.end(); }));
const s6 = net.createServer((s) => s.on('data', () => { out.push('ipv6 data?!'); s.end(); }));
s4.listen(0, '127.0.0.1', () => {
  const port = s4.address().port;
  net.setDefaultAutoSelectFamily(true);
  const c = net.createConnection({ host: 'example.org', port, lookup: v6first });
  let r = ''; c.setEncoding('utf-8');
  c.on('data', (d) => r += d);
  c.on('end', () => {
    out.push('default true: ' + r + ' ' + c.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(String(port), 'P')));
    net.setDefaultAutoSelectFamily(false);
    const c2 = net.createConnection({ host: 'example.org', port, lookup: v6first });
    c2.on('ready', () => out.push('ready?!'));
    c2.on('error', (e) => {
      out.push(`default false: ${e.code} ${e.message.replace(String(port), 'P')} ${c2.autoSelectFamilyAttemptedAddresses}`);
      net.setDefaultAutoSelectFamily(true);
      s6.listen(port, '::1', () => {
        const c3 = net.createConnection({ host: 'example.org', port, lookup: v4first, autoSelectFamily: true });
        let r3 = ''; c3.setEncoding('utf-8');
        c3.on('data', (d) => r3 += d);
        c3.on('end', () => {
          out.push('ipv4 first: ' + r3 + ' ' + c3.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(String(port), 'P')));
          s4.close(); s6.close();
          console.log(out.join('\n'));
        });
        c3.write('request');
      });
    });
  });
  c.write('request');
});

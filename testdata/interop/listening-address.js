// A Node primary forks one worker per listen form, one after the other,
// and prints each "listening" address object as JSON.stringify writes it
// (the port number replaced by P where it is a real one).
// TestListeningAddressJSON runs the Go primary the same way and compares.
const cluster = require('cluster');
const net = require('net');
const path = require('path');
const forms = ['port', 'host', 'pipe'];
if (cluster.isPrimary) {
  const next = () => {
    const form = forms.shift();
    if (!form) return;
    const w = cluster.fork({ LF_FORM: form });
    w.on('listening', (a) => {
      console.log(form, JSON.stringify(a).replace(/"port":\d+/, '"port":P'));
      w.disconnect();
    });
    w.on('exit', next);
  };
  next();
} else {
  const s = net.createServer();
  const form = process.env.LF_FORM;
  if (form === 'port') s.listen(0);
  if (form === 'host') s.listen(0, '127.0.0.1');
  if (form === 'pipe') s.listen(path.join(process.env.LF_DIR, 'la.sock'));
}

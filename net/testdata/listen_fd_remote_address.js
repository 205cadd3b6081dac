// Backs TestNetServerListenHandle and TestNetRemoteAddress (net/node_more_test.go):
// listen({fd}) of a regular file, and remoteAddress while connecting and
// once connected.
const net=require('net'); const fs=require('fs');
const fd=fs.openSync(__filename,'r');
net.createServer().listen({fd}, ()=>console.log('listening?!')).on('error',function(err){ console.log(String(err), err.code, err.syscall, err.errno, JSON.stringify(err)); this.close(); });
const s=new net.Socket(); console.log('before', s.connecting, s.remoteAddress);
const srv=net.createServer().listen(()=>{ const so=net.connect({port:srv.address().port}); console.log('connecting', so.connecting, so.remoteAddress); so.on('connect',()=>{console.log('connect', so.remoteAddress); so.end();}); so.on('end',()=>srv.close());});
// A closed descriptor and a UDP socket: listen EINVAL too.
const dgram = require('dgram');
net.createServer().listen({ fd: 999 }).on('error', function(e) { console.log('closed fd', String(e), JSON.stringify(e)); this.close(); });
const u = dgram.createSocket('udp4');
u.bind(0, () => {
  net.createServer().listen({ fd: u._handle.fd }).on('error', function(e) { console.log('udp', String(e), JSON.stringify(e)); this.close(); u.close(); });
});

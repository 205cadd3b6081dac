// Backs TestNetSocketNoHalfopenEnforcer (net/node_more_test.go): a new
// Socket has one "end" listener of its own; with it removed, a write after
// the peer ended is a plain write after end, not EPIPE.
const net=require('net');
const s=new net.Socket({allowHalfOpen:false});
console.log('end listeners', s.listenerCount('end'));
for (const remove of [false, true]) {
  const srv=net.createServer(c=>c.end());
  srv.listen(0,'127.0.0.1',()=>{
    const c=net.connect(srv.address().port,'127.0.0.1');
    console.log(remove, 'end listeners', c.listenerCount('end'));
    if (remove) c.removeAllListeners('end');
    c.on('end',()=>{ setImmediate(()=>{ c.write('x', err=>{ console.log(remove, 'write cb', err && err.code, err && err.message); srv.close(); }); }); });
    c.on('error',e=>console.log(remove, 'error', e.code));
    c.resume();
  });
}

// Backs TestNetBindTwice, TestNetBetterErrorMessagesListen,
// TestNetBetterErrorMessagesPath, TestNetBetterErrorMessagesPort and
// TestNetListenCloseServerCallbackIsNotFunction (net/node_more_test.go): the
// errors (and events) node printed.
const net=require('net');
const p=(...a)=>console.log(...a);
const s1=net.createServer().listen(0,'127.0.0.1',function(){ const s2=net.createServer(); s2.listen(this.address().port,'127.0.0.1',()=>p('bind-twice listening?!')); s2.on('error',e=>{p('bind-twice',e.code,e.syscall,e.address,e.port===s1.address().port,e.message.replace(/\d+$/,'PORT')); s1.close(); s2.on('close',()=>p('s2 close?'));});});
const s3=net.createServer(); s3.listen(1,'1.1.1.1',()=>p('listen 1.1.1.1?!')); s3.on('error',e=>p('listen-err',e.code,e.syscall,e.address,e.port,e.message));
const c=net.connect('/tmp/fadagagsdfgsdf'); c.on('error',e=>p('path',e.code,e.syscall,e.address,e.message)); c.on('close',h=>p('path close',h));
const l=net.createServer(); l.listen(0, '127.0.0.1', ()=>{const port=l.address().port; l.close(()=>{ const c2=net.createConnection(port); c2.on('error',e=>p('port',e.code,e.syscall,e.address,e.port===port,e.message.replace(/\d+$/,'PORT'))); c2.on('close', h=>p('port close',h)); });});
const s4=net.createServer(); s4.on('close',()=>p('s4 close')); s4.on('listening',()=>p('s4 listening')); s4.listen(0,()=>p('s4 listen cb')); s4.close(); p('s4 listening now', s4.listening);

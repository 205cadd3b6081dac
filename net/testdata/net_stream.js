// Backs TestNetStream (net/node_more_test.go): a server writes 10 x 2 MB to a
// client that pauses at its first data and is destroyed 20 ms later; the
// server socket sees "read ECONNRESET", then the writes still queued fail
// with it, then "close" (how many writes went first depends on the kernel).
const net=require('net');
const buf=Buffer.alloc(2e6,'a'); const ev=[];
const server=net.createServer(socket=>{ socket.setNoDelay();
 socket.on('error',e=>{ev.push('error '+e.code+' '+e.message); socket.destroy();}).on('close',h=>{ev.push('close '+h); server.close();});
 for(let i=0;i<10;i++) socket.write(buf,e=>{ if(e) ev.push('cb '+i+' '+e.code)});
 socket.end();
}).listen(0,function(){ const conn=net.connect(this.address().port); conn.on('data',()=>{conn.pause(); setTimeout(()=>conn.destroy(),20);});});
process.on('exit',()=>{console.log(ev, server._connections)});

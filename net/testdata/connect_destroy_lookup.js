// Backs TestNetConnectAfterDestroy and TestSocketDestroyedWhileLookingUpClosesInClosePhase
// (net/node_more_test.go): two sockets destroyed while their (500 ms) lookup
// runs: "close" comes in the close phase, after the immediates, the socket
// destroyed last first (node has a TCP handle from connect on, and closes it);
// without autoSelectFamily the answer is still emitted as "lookup".
const net=require('net'); const t0=Date.now(); const ev=[];
const log=(s)=>ev.push(s+' @'+Math.round((Date.now()-t0)/100)*100);
for (const asf of [true,false]) {
const c=net.createConnection({port:80,host:'example.test',autoSelectFamily:asf, lookup:(h,o,cb)=>{log(asf+' lookup called all='+o.all); setTimeout(()=>{log(asf+' lookup answers'); o.all?cb(null,[{address:'127.0.0.1',family:4}]):cb(null,'127.0.0.1',4)},500)}});
c.on('lookup',(e,ip,f,h)=>log(asf+' lookup event '+ip));
c.on('close',()=>log(asf+' close'));
c.destroy(); log(asf+' destroyed');
}
process.nextTick(()=>log('tick'));
setImmediate(()=>log('immediate'));
process.on('exit',()=>console.log(ev));

'use strict';
// A node cluster worker for TestRoundRobinPrimaryClosesChannelAfterAck
// and TestRoundRobinAcceptedIsTruthy: it listens on 127.0.0.1, port 0,
// and answers each connection with "worker <id>"; it tells the primary of
// each connection with the message 'connection'. Its {accepted} answers
// to a newconn leave 200 ms late (process.send, which the cluster's
// answers go through, is wrapped), while the channel's NODE_HANDLE_ACK
// leaves at once, so that the primary reads the ACK alone; with
// ACCEPTED_AS=1 they leave at once with accepted: 1 instead of true (a
// truthy value, which Node's primary takes as accepted).
const cluster = require('node:cluster');
const net = require('node:net');

const send = process.send.bind(process);
process.send = (message, ...rest) => {
  if (message && message.cmd === 'NODE_CLUSTER' && 'accepted' in message) {
    if (process.env.ACCEPTED_AS === '1') {
      return send({ ...message, accepted: message.accepted ? 1 : 0 }, ...rest);
    }
    setTimeout(() => { if (process.connected) send(message, ...rest); }, 200);
    return true;
  }
  return send(message, ...rest);
};
net.createServer((c) => {
  send('connection');
  c.end(`worker ${cluster.worker.id}`);
}).listen(0, '127.0.0.1');

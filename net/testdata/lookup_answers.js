'use strict';
// Backs net/lookup_answers_test.go: what connect does with a custom lookup's
// odd answers. LOOKUP_CASE picks one:
//   family5  an address with family 5: ERR_INVALID_ADDRESS_FAMILY
//   family6  an IPv4 address said to be family 6: connect EINVAL, before
//            any socket is made (Local (undefined:undefined))
//   empty    no address and no error, with autoSelectFamily: v20 throws a
//            TypeError from the lookup's callback (the port's DEVIATION(fix)
//            destroys the socket with ERR_INVALID_IP_ADDRESS instead)
const net = require('net');
const c = process.env.LOOKUP_CASE;
const answer = { family5: ['127.0.0.1', 5], family6: ['127.0.0.1', 6] }[c];
const lookup = c === 'empty' ?
  (h, o, cb) => setTimeout(() => cb(null, []), 1) :
  (h, o, cb) => cb(null, answer[0], answer[1]);
const s = net.connect({ port: 19441, host: 'x.test', autoSelectFamily: c === 'empty', lookup });
s.on('error', (e) => console.log('error', e.code, e.message, JSON.stringify(e)));
s.on('close', (hadError) => console.log('close', hadError));

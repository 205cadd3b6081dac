// fork options node refuses before it starts anything, or that libuv's
// spawn fails: one line each, "case code|message|syscall". The Go side is
// TestForkOptionsRefusedAsNode (fork_options_test.go).
'use strict';
const cp = require('child_process');
const tries = [
  ['uidbig', [], { uid: 2147483648 }],
  ['gidbig', [], { gid: 4294967294 }],
  ['envnul', [], { env: { BAD: 'a\0b' } }],
  ['envnulkey', [], { env: { 'B\0AD': 'x' } }],
  ['execargvnul', [], { execArgv: ['--x\0'] }],
  ['argsnul', ['a\0b'], {}],
  ['cwdnul', [], { cwd: 'a\0b' }],
  ['cwdfile', [], { cwd: '/etc/hostname' }],
  ['uidneg', [], { uid: -1 }],
];
for (const [name, args, opts] of tries) {
  try {
    const c = cp.fork('/nonexistent/fork-options.js', args, opts);
    c.on('error', (e) => console.log(`${name} event ${e.code}|${e.message}|${e.syscall}`));
    c.kill('SIGKILL');
    console.log(`${name} started`);
  } catch (e) {
    console.log(`${name} ${e.code}|${JSON.stringify(e.message)}|${e.syscall}`);
  }
}

'use strict';
// cluster 'online': two workers respond after being forked.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  let n = 0;
  cluster.on('fork', (worker) => console.log(`forked #${worker.id}`));
  cluster.on('online', (worker) => {
    console.log(`Yay, worker #${worker.id} responded after it was forked`);
    if (++n === 2) cluster.disconnect();
  });
  for (let i = 0; i < 2; i++) cluster.fork();
}

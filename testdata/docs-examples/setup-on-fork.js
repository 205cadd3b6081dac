'use strict';
// cluster 'setup' without setupPrimary(): cluster.settings is empty until
// the first fork sets the primary up with the defaults; every fork calls
// setupPrimary(), so 'setup' is emitted before each 'fork'.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.on('setup', (settings) => {
    console.log(`setup: args ${JSON.stringify(settings.args)} silent ${settings.silent}; workers ${Object.keys(cluster.workers).length}`);
  });
  cluster.on('fork', (worker) => console.log(`fork #${worker.id}`));
  console.log(`before the first fork: settings.args ${cluster.settings.args} silent ${cluster.settings.silent}`);
  cluster.fork();
  console.log('forked once');
  cluster.fork();
  console.log('forked twice');
  let online = 0;
  cluster.on('online', () => { if (++online === 2) cluster.disconnect(() => console.log('disconnected')); });
}

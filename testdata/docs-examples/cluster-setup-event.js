'use strict';
// cluster 'setup': setupPrimary called twice in one tick; each 'setup'
// event carries the settings object of its own call, and cluster.settings
// is the last one.
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  cluster.on('setup', (settings) => {
    console.log(`setup: args ${JSON.stringify(settings.args)} silent ${settings.silent} ` +
                `same as cluster.settings ${settings === cluster.settings}`);
  });
  cluster.setupPrimary({ args: ['--use', 'https'], silent: true });
  cluster.setupPrimary({ args: ['--use', 'http'] });
  console.log(`after both calls: args ${JSON.stringify(cluster.settings.args)} silent ${cluster.settings.silent}`);
}

// `npm run test:unit`: the tests that run as any user with nothing but node, no root, no kernel
// audit, no mounts, no daemons. Everything else still runs under `npm test`. A test that needs
// any of these belongs in one of the lists below.
const base = require('../.mocharc.json');

const kernelAudit = ['netlink', 'netlink-input', 'rules-kernel', 'kernel-daemon', 'context-kernel'];
const mountsAndNamespaces = ['file-full-disk', 'filter-snoopy', 'snoopy-real']; // tmpfs, unshare + bind mounts
const realDaemons = ['syslog', 'spool-outage', 'relp', 'redis-output', 'fleet', 'audit-remote-input', 'audit-remote-output']; // rsyslogd, redis-server, audisp-remote, auditd

module.exports = {
  ...base,
  spec: ['test/**/*.test.ts'],
  ignore: [...kernelAudit, ...mountsAndNamespaces, ...realDaemons].map((name) => `test/${name}.test.ts`),
};

// Address families (linux/socket.h AF_*), named the way ECS-minded tools and ausearch -i
// (`saddr_fam=`) name them. Indexed by the family number found in a sockaddr.

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export const socketFamilyNames: readonly string[] = [
  'unspec',
  'local',
  'inet',
  'ax25',
  'ipx',
  'appletalk',
  'netrom',
  'bridge',
  'atmpvc',
  'x25',
  'inet6',
  'rose',
  'decnet',
  'netbeui',
  'security',
  'key',
  'netlink',
  'packet',
  'ash',
  'econet',
  'atmsvc',
  'rds',
  'sna',
  'irda',
  'pppox',
  'wanpipe',
  'llc',
  'ib',
  'mpls',
  'can',
  'tipc',
  'bluetooth',
  'iucv',
  'rxrpc',
  'isdn',
  'phonet',
  'ieee802154',
  'caif',
  'alg',
  'nfc',
  'vsock',
  'kcm',
  'qipcrtr',
  'smc',
  'xdp',
  'mctp',
];

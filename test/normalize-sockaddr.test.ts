import assert from 'node:assert/strict';
import { decodeSockaddr, formatIPv6 } from '../src/audit/normalize/sockaddr.js';

const v6 = (hex: string) => formatIPv6(Buffer.from(hex, 'hex'), 0);

describe('normalize: sockaddr decoding', () => {
  it('writes IPv6 the RFC 5952 way', () => {
    assert.equal(v6('00000000000000000000000000000001'), '::1');
    assert.equal(v6('00000000000000000000000000000000'), '::');
    assert.equal(v6('20010db8000000000000000000000001'), '2001:db8::1');
    assert.equal(v6('20010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1'); // one zero group stays
    assert.equal(v6('20010db8000000000001000000000001'), '2001:db8::1:0:0:1'); // first of two equal runs
    assert.equal(v6('fe800000000000000202b3fffe1e8329'), 'fe80::202:b3ff:fe1e:8329');
    assert.equal(v6('20010db8000100000000000000000000'), '2001:db8:1::');
  });

  it('reads sa_family in the arch byte order, ports and addresses in network order', () => {
    // bind(0.0.0.0:55555) on big-endian ppc64 (laurel's record-bind-ipv4-bigendian)
    assert.deepEqual(decodeSockaddr('0002D903000000000000000000000000', false), { family: 'inet', ip: '0.0.0.0', port: 55555, networkType: 'ipv4' });
    assert.deepEqual(decodeSockaddr('0200D9030A0000020000000000000000', true), { family: 'inet', ip: '10.0.0.2', port: 55555, networkType: 'ipv4' });
    // netlink pid/groups are host-order u32s
    assert.deepEqual(decodeSockaddr('10000000D2040000' + '01000000', true), { family: 'netlink', netlinkPid: 1234, netlinkGroups: 1 });
    assert.deepEqual(decodeSockaddr('00100000000004D2' + '00000001', false), { family: 'netlink', netlinkPid: 1234, netlinkGroups: 1 });
  });

  it('unix sockets: path up to the NUL, abstract names with @, unnamed ones without a path', () => {
    assert.deepEqual(decodeSockaddr('01002F72756E2F782E736F636B00DEADBEEF', true), { family: 'local', path: '/run/x.sock' });
    assert.deepEqual(decodeSockaddr('0100006162630064', true), { family: 'local', path: '@abc@d' });
    assert.deepEqual(decodeSockaddr('0100', true), { family: 'local' });
  });

  it('other families by name, unknown ones by number, truncated or non-hex input safely', () => {
    assert.deepEqual(decodeSockaddr('1100000000000000', true), { family: 'packet' });
    assert.deepEqual(decodeSockaddr('FE00', true), { family: 'af-254' });
    assert.deepEqual(decodeSockaddr('0200', true), { family: 'inet' }); // addrlen shorter than sockaddr_in
    assert.deepEqual(decodeSockaddr('0A00', true), { family: 'inet6' });
    assert.equal(decodeSockaddr('02', true), undefined);
    assert.equal(decodeSockaddr('0200ZZ', true), undefined);
    assert.equal(decodeSockaddr('020', true), undefined);
  });
});

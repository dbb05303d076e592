import assert from 'node:assert/strict';
import { encodeRequest, forEachRecord, splitBatch, recordText, NLMSG_ERROR, NLM_F_ACK, NLM_F_REQUEST, AUDIT_GET } from '../src/netlink/protocol.js';
import { decodeStatus, encodeStatusChange, AUDIT_STATUS_PID, AUDIT_STATUS_BACKLOG_LIMIT } from '../src/netlink/status.js';
import { candidatePaths, loadNative } from '../src/netlink/load.js';
import { AuditClient, NetlinkError } from '../src/netlink/client.js';
import { formatStatus } from '../src/commands/status.js';
import { requireKernel, auditctlStatus } from './fixtures/netlink/kernel-guard.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function batchOf(...datagrams: Buffer[]) {
  const data = Buffer.concat(datagrams);
  const meta = new Uint32Array(datagrams.length * 2);
  let off = 0;
  datagrams.forEach((d, i) => {
    meta[i * 2] = off;
    meta[i * 2 + 1] = d.length;
    off += d.length;
  });
  return { data, meta };
}

function header(len: number, type: number, flags: number, seq: number, pid = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(len, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  h.writeUInt32LE(pid, 12);
  return h;
}

describe('netlink protocol', () => {
  it('encodes a request header with the length before padding and pads to 4 bytes', () => {
    const b = encodeRequest(AUDIT_GET, NLM_F_REQUEST | NLM_F_ACK, 7, Buffer.from([1, 2, 3]));
    assert.equal(b.length, 20);
    assert.equal(b.readUInt32LE(0), 19);
    assert.equal(b.readUInt16LE(4), 1000);
    assert.equal(b.readUInt16LE(6), 5);
    assert.equal(b.readUInt32LE(8), 7);
    assert.deepEqual([...b.subarray(16)], [1, 2, 3, 0]);
  });

  it('takes a record payload from the datagram length, not the short unicast nlmsg_len', () => {
    const text = 'audit(1700000000.123:42): arch=c000003e syscall=59 success=yes';
    // the kernel's unicast quirk: nlmsg_len holds the payload length without the header
    const d = Buffer.concat([header(text.length, 1300, 0, 0), Buffer.from(text + '\0')]);
    const [m] = splitBatch(batchOf(d));
    assert.equal(m.type, 1300);
    assert.equal(recordText(m.payload), text);
  });

  it('reads LOGIN (1006) and USER (1005) records whole despite their short nlmsg_len', () => {
    const login = 'audit(1700000000.5:7): pid=1 uid=0 old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=3 res=1';
    const user = "audit(1700000000.6:8): pid=2 uid=0 auid=0 ses=1 msg='text=hello'";
    const msgs = splitBatch(
      batchOf(Buffer.concat([header(login.length, 1006, 0, 0), Buffer.from(login)]), Buffer.concat([header(user.length, 1005, 0, 0), Buffer.from(user)])),
    );
    assert.deepEqual(
      msgs.map((m) => [m.type, recordText(m.payload)]),
      [
        [1006, login],
        [1005, user],
      ],
    );
  });

  it('reads a relayed user message as UTF-8 when it is, byte for byte when it is not', () => {
    const utf8 = Buffer.from("audit(1.0:1): pid=1 uid=0 msg='text=héllo'\n");
    assert.equal(recordText(utf8), "audit(1.0:1): pid=1 uid=0 msg='text=héllo'");
    const raw = Buffer.from([...Buffer.from("audit(1.0:2): msg='x="), 0xff, 0x41, 0x27]);
    assert.equal(recordText(raw), "audit(1.0:2): msg='x=\u00ffA'");
  });

  it('hands the input each record as (type, text): user messages as UTF-8, kernel records byte for byte, control messages and runts skipped', () => {
    const user = 'audit(1.0:1): pid=1 uid=0 msg=\'op=login acct="josé" res=success\'';
    const kernel = Buffer.from([...Buffer.from('audit(1.0:2): comm="'), 0xc3, 0xa9, 0x22]);
    const got: [number, string][] = [];
    const runts: number[] = [];
    forEachRecord(
      batchOf(
        Buffer.concat([header(user.length, 1112, 0, 0), Buffer.from(user + '\n\0')]),
        header(16, 3, 2, 9),
        Buffer.from([1, 2, 3]),
        Buffer.concat([header(kernel.length, 1300, 0, 0), kernel]),
      ),
      (type, text) => got.push([type, text]),
      (len) => runts.push(len),
    );
    assert.deepEqual(got, [
      [1112, user],
      [1300, 'audit(1.0:2): comm="Ã©"'],
    ]);
    assert.deepEqual(runts, [3]);
  });

  it('walks several control messages in one datagram and keeps datagram order', () => {
    const err = Buffer.concat([header(36, NLMSG_ERROR, 0, 9), Buffer.alloc(20)]);
    const done = header(16, 3, 2, 9);
    const rec = Buffer.concat([header(5, 1320, 0, 0), Buffer.from('audit(1.0:1): ')]);
    const msgs = splitBatch(batchOf(Buffer.concat([err, done]), rec));
    assert.deepEqual(
      msgs.map((m) => [m.type, m.seq, m.payload.length]),
      [
        [2, 9, 20],
        [3, 9, 0],
        [1320, 0, 14],
      ],
    );
  });

  it('ignores a datagram shorter than a header instead of reading past it', () => {
    const msgs = splitBatch(batchOf(Buffer.from([1, 2, 3]), Buffer.concat([header(16, 3, 0, 1)])));
    assert.deepEqual(
      msgs.map((m) => m.type),
      [3],
    );
  });

  it('decodes struct audit_status and encodes only the changed fields in mask', () => {
    const raw = Buffer.alloc(44);
    [0, 1, 1, 4242, 0, 8192, 3, 1, 0x7f, 0, 5].forEach((v, i) => raw.writeUInt32LE(v, i * 4));
    const s = decodeStatus(raw);
    assert.deepEqual(
      [s.enabled, s.failure, s.pid, s.backlog_limit, s.lost, s.backlog, s.feature_bitmap, s.backlog_wait_time_actual],
      [1, 1, 4242, 8192, 3, 1, 0x7f, 5],
    );
    const set = encodeStatusChange({ pid: 99, backlog_limit: 8192 });
    assert.equal(set.readUInt32LE(0), AUDIT_STATUS_PID | AUDIT_STATUS_BACKLOG_LIMIT);
    assert.equal(set.readUInt32LE(12), 99);
    assert.equal(set.readUInt32LE(20), 8192);
    assert.equal(set.readUInt32LE(4), 0);
  });

  it('prints status in auditctl -s order', () => {
    const s = decodeStatus(Buffer.alloc(44));
    assert.equal(formatStatus(s, { vers: 1, mask: 0, features: 2, lock: 0 }).split('\n').slice(-2, -1)[0], 'loginuid_immutable 1 unlocked');
  });

  it('names every addon path it tried', () => {
    const paths = candidatePaths();
    assert.ok(paths.some((p) => p.endsWith('native/netlink/build/Release/audit_netlink.node')));
    assert.doesNotThrow(() => loadNative(), 'the addon is built by npm install');
  });
});

describe('netlink kernel exchange', function () {
  beforeEach(function () {
    requireKernel(this);
  });

  it('AUDIT_GET returns what auditctl -s reports', () => {
    const client = new AuditClient();
    try {
      const s = client.getStatus();
      const ref = auditctlStatus();
      for (const k of ['enabled', 'failure', 'pid', 'rate_limit', 'backlog_limit', 'backlog_wait_time'] as const) {
        assert.equal(s[k], ref[k], k);
      }
    } finally {
      client.close();
    }
  });

  it('turns a kernel refusal into a NetlinkError with the errno name', () => {
    const client = new AuditClient();
    try {
      // enabled=7 is out of range: the kernel answers EINVAL and changes nothing
      assert.throws(
        () => client.setStatus({ enabled: 7 }),
        (e: unknown) => e instanceof NetlinkError && e.errno === 'EINVAL',
      );
      assert.equal(client.getStatus().enabled, 0);
    } finally {
      client.close();
    }
  });

  it("status --config finds the daemon counters in the config's state_dir", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'af-status-'));
    try {
      // a live multicast reader (this process stands in for it)
      writeFileSync(path.join(dir, 'netlink-status.json'), JSON.stringify({ pid: process.pid, mode: 'multicast', records: 17 }));
      const cfg = path.join(dir, 'config.json');
      writeFileSync(cfg, JSON.stringify({ state_dir: dir, inputs: [], outputs: [{ type: 'stdout' }] }));
      let out = '';
      const { statusCommand } = await import('../src/commands/status.js');
      assert.equal(
        await statusCommand(['--config', cfg], {
          stdout: (x) => {
            out += x;
          },
          stderr: () => {},
        }),
        0,
      );
      assert.match(out, /^auditflow\.mode multicast\nauditflow\.records 17\n/m);
      out = '';
      await statusCommand(['--config', cfg, '--json'], {
        stdout: (x) => {
          out += x;
        },
        stderr: () => {},
      });
      assert.equal(JSON.parse(out).auditflow.records, 17);
      // the file of a reader that is gone is not shown
      writeFileSync(path.join(dir, 'netlink-status.json'), JSON.stringify({ pid: 2 ** 22 + 1, mode: 'multicast', records: 17 }));
      out = '';
      await statusCommand(['--config', cfg], {
        stdout: (x) => {
          out += x;
        },
        stderr: () => {},
      });
      assert.doesNotMatch(out, /auditflow\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the status command output identical to auditctl -s', async () => {
    let out = '';
    const { statusCommand } = await import('../src/commands/status.js');
    await statusCommand(['--state-dir', '/nonexistent'], {
      stdout: (s) => {
        out += s;
      },
      stderr: () => {},
    });
    assert.equal(out, execFileSync('auditctl', ['-s'], { encoding: 'utf8' }));
  });
});

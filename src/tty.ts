// A terminal's name → ECS `process.tty` ({ char_device: { major, minor } }), by the Linux
// device numbers (Documentation/admin-guide/devices.txt). Audit writes `tty=pts3` / `tty1` /
// `ttyS0` / `(none)`; snoopy writes `/dev/pts/3`. ECS has no field for the name itself.

export interface TtyDevice {
  char_device: { major: number; minor: number };
}

/** The device numbers of a terminal name, or undefined for none / a name not numbered here. */
export function ttyDevice(name: string | undefined): TtyDevice | undefined {
  if (name === undefined) return undefined;
  const n = name.startsWith('/dev/') ? name.slice(5) : name;
  if (n === 'console') return dev(5, 1);
  // UNIX98 pty slaves: majors 136-143, 256 minors each
  if (n.startsWith('pts')) {
    const i = index(n, n.charCodeAt(3) === 0x2f /* / */ ? 4 : 3);
    return i === undefined || i >= 2048 ? undefined : dev(136 + (i >> 8), i & 255);
  }
  if (n.startsWith('ttyS')) {
    const i = index(n, 4);
    return i === undefined || i > 191 ? undefined : dev(4, 64 + i);
  }
  if (n.startsWith('tty')) {
    const i = index(n, 3);
    return i === undefined || i > 63 ? undefined : dev(4, i);
  }
  return undefined;
}

function dev(major: number, minor: number): TtyDevice {
  return { char_device: { major, minor } };
}

/** The decimal number from `from` to the end, or undefined. */
function index(s: string, from: number): number | undefined {
  if (from >= s.length || s.length - from > 6) return undefined;
  let v = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v;
}

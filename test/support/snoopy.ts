// snoopy for tests: only ever through LD_PRELOAD, its configuration bind-mounted over
// /etc/snoopy.ini inside a private mount namespace (snoopy 2.5 reads no other path), so the
// host's own snoopy.ini and ld.so.preload are never touched.

export const SNOOPY_LIB = '/lib/x86_64-linux-gnu/libsnoopy.so';

/** The command line that runs `script` under sh with snoopy preloaded and `ini` as its configuration. */
export function underSnoopy(ini: string, script: string): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount --bind "$1" /etc/snoopy.ini && exec env SNOOPY_INI="$1" LD_PRELOAD="$2" sh -c "$3"',
    'sh',
    ini,
    SNOOPY_LIB,
    script,
  ];
}

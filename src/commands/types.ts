export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Returns the exit code. Output goes to the given streams so tests can run commands in-process. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
}

// sysexits(3), so scripts can tell a usage slip from a missing file from bad data
export const EX_OK = 0,
  EX_USAGE = 64,
  EX_DATAERR = 65,
  EX_NOINPUT = 66,
  EX_SOFTWARE = 70,
  EX_IOERR = 74,
  EX_TEMPFAIL = 75,
  EX_CONFIG = 78;

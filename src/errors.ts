// Every error auditflow raises on purpose, coded like fastify's FST_ERR_*: the code is stable
// (tests and operators match on it), the message names the input (file, line, record, config key).

export type ErrorCode =
  | 'AF_ERR_CONFIG' // config file unreadable or invalid
  | 'AF_ERR_INPUT' // input file missing/unreadable
  | 'AF_ERR_PARSE' // a line or record that cannot be parsed
  | 'AF_ERR_RULE' // an audit rule that cannot be parsed or encoded
  | 'AF_ERR_NETLINK' // the kernel refused a request
  | 'AF_ERR_OUTPUT' // an output could not deliver
  | 'AF_ERR_SPOOL' // the disk spool is unusable
  | 'AF_ERR_ALREADY_RUNNING' // a second daemon
  | 'AF_ERR_USAGE'; // wrong command line

export class AuditflowError extends Error {
  readonly code: ErrorCode;
  /** what the error is about: "file:line", a config key path, a record serial... */
  readonly where: string | undefined;
  constructor(code: ErrorCode, message: string, where?: string, options?: { cause?: unknown }) {
    super(where ? `${where}: ${message}` : message, options);
    this.name = 'AuditflowError';
    this.code = code;
    this.where = where;
  }
}

export const configError = (where: string, message: string) => new AuditflowError('AF_ERR_CONFIG', message, where);
export const parseError = (where: string, message: string) => new AuditflowError('AF_ERR_PARSE', message, where);
export const usageError = (message: string) => new AuditflowError('AF_ERR_USAGE', message);

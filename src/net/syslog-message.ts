// Reads what arrives as a syslog message at a collector (RELP from rsyslog or auditflow): the
// sending host from the header, and the payload — an auditflow JSON record (with or without
// rsyslog's `@cee:` cookie) or an audit record line (audit.log relayed by imfile, audisp's syslog
// plugin). RFC 5424, RFC 3164 and rsyslog's ForwardFormat (RFC 3339 time in a 3164 header).

export interface SyslogMessage {
  host: string | undefined;
  msg: string;
}

const MONTHS = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) $/;

export function parseSyslog(text: string): SyslogMessage {
  let i = 0;
  if (text[0] === '<') {
    const gt = text.indexOf('>');
    if (gt > 0 && gt <= 4) i = gt + 1;
  }
  const word = (): string => {
    const sp = text.indexOf(' ', i);
    const w = sp < 0 ? text.slice(i) : text.slice(i, sp);
    i = sp < 0 ? text.length : sp + 1;
    return w;
  };
  if (text.startsWith('1 ', i)) {
    i += 2;
    word(); // timestamp
    const host = word();
    word();
    word();
    word(); // app, procid, msgid
    if (text[i] === '[') {
      // structured data: skip elements, honouring escapes
      while (text[i] === '[') {
        let j = i + 1;
        let quoted = false;
        for (; j < text.length; j++) {
          const c = text[j];
          if (c === '\\') {
            j++;
            continue;
          }
          if (c === '"') quoted = !quoted;
          else if (c === ']' && !quoted) break;
        }
        i = j + 1;
      }
      if (text[i] === ' ') i++;
    } else word();
    return { host: host === '-' ? undefined : host, msg: text.slice(i) };
  }
  if (MONTHS.test(text.slice(i, i + 4))) i += 15 + (text[i + 15] === ' ' ? 1 : 0);
  else word(); // RFC 3339 timestamp
  const host = word();
  const rest = text.slice(i);
  // the tag ends at ": " (or the first space); audit lines and JSON have no tag before them
  if (rest.startsWith('{') || rest.startsWith('type=') || rest.startsWith('node=') || rest.startsWith('@cee:')) return { host, msg: rest };
  const colon = rest.indexOf(': ');
  const sp = rest.indexOf(' ');
  const cut = colon >= 0 && (sp < 0 || colon <= sp) ? colon + 2 : sp >= 0 ? sp + 1 : rest.length;
  return { host, msg: rest.slice(cut) };
}

/** The audit record or JSON record in a syslog MSG, or undefined when it is neither. */
export function payloadOf(msg: string): string | undefined {
  const m = msg.startsWith('@cee:') ? msg.slice(5).trimStart() : msg;
  if (m.startsWith('{')) return m;
  const n = m.indexOf('node=');
  const t = m.indexOf('type=');
  const at = n >= 0 && (t < 0 || n < t) ? n : t;
  return at >= 0 ? m.slice(at) : undefined;
}

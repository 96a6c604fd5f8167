// Resolves the user a notify command runs as: a name from /etc/passwd, or a numeric uid[:gid].
// Read at config load, so a missing user is a config error rather than a failure at 3 a.m.
import { readFileSync } from 'node:fs';

export interface UnixUser {
  readonly uid: number;
  readonly gid: number;
}

export function lookupUser(text: string, passwd = '/etc/passwd'): UnixUser | null {
  const numeric = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(text);
  if (numeric) {
    const uid = Number(numeric[1]);
    return { uid, gid: numeric[2] === undefined ? uid : Number(numeric[2]) };
  }
  let lines: string[];
  try {
    lines = readFileSync(passwd, 'utf8').split('\n');
  } catch {
    return null;
  }
  for (const line of lines) {
    const [name, , uid, gid] = line.split(':');
    if (name === text && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

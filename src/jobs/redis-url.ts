import { QmoeInputError } from '../errors.js';

/** A Redis server to reach: what `--queue redis://[[user]:password@]host[:port][/db]` names. */
export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL as messages show it: the password replaced by ***. */
  display: string;
}

export const REDIS_URL_FORM = 'redis://[[user]:password@]host[:port][/db] or rediss://... (TLS), e.g. redis://127.0.0.1:6379/0';

/** Where a password may come from instead of the URL (a URL on a command line is visible in `ps`). */
export const PASSWORD_ENV = 'QMOE_REDIS_PASSWORD';

const URL_PATTERN = /^(rediss?):\/\/(?:([^:@/?#]*)(?::([^@/?#]*))?@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?(?:\/(\d{0,5}))?$/;

/**
 * Replaces the password of every URL in `text` (scheme://user:password@host) by ***; a user
 * part without ':' is replaced whole (some clients read it as a password). Every message and
 * recorded command line that may hold a --queue URL passes through it.
 */
export function redactUrls(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/?#]*)@/g, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

/** A command line's arguments with every URL's password replaced by *** (for the recorded command). */
export function redactArgs(args: readonly string[]): string[] {
  return args.map(redactUrls);
}

function decode(part: string, what: string, url: string, argument: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new QmoeInputError(argument, redactUrls(url), `the ${what} has a malformed %-escape; write reserved characters as %XX`);
  }
}

/**
 * Parses a Redis URL strictly: redis:// or rediss:// (TLS), an optional user and password
 * (%-escaped), a host name, IPv4 or [IPv6] address, a port (default 6379) and a database number
 * (default 0). Without a password in the URL, QMOE_REDIS_PASSWORD gives one. Anything else is a
 * QmoeInputError naming `argument`, with the password hidden.
 */
export function parseRedisUrl(url: string, argument = '--queue', env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const m = typeof url === 'string' ? URL_PATTERN.exec(url.trim()) : null;
  if (!m) throw new QmoeInputError(argument, typeof url === 'string' ? redactUrls(url) : url, `must be ${REDIS_URL_FORM}`);
  const [, scheme, user, pass, hostPart, portText, dbText] = m;
  const port = portText === undefined ? 6379 : Number(portText);
  if (port < 1 || port > 65535) throw new QmoeInputError(argument, redactUrls(url), `the port must be from 1 to 65535 (${port} given)`);
  const db = dbText === undefined || dbText === '' ? 0 : Number(dbText);
  if (db > 65535) throw new QmoeInputError(argument, redactUrls(url), `the database number must be from 0 to 65535 (${db} given)`);
  const username = user ? decode(user, 'user name', url, argument) : undefined;
  const fromUrl = pass !== undefined && pass !== '' ? decode(pass, 'password', url, argument) : undefined;
  const password = fromUrl ?? (env[PASSWORD_ENV] || undefined);
  const host = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
  const auth = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  return { tls: scheme === 'rediss', host, port, db, username, password, display: `${scheme}://${auth}${hostPart}:${port}/${db}` };
}

/** Default of --redis-timeout: how long Redis may not answer, at the start or later, before qmoe gives up. */
export const DEFAULT_REDIS_TIMEOUT = 30;

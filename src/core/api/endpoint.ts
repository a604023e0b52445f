/**
 * Where the API key may be sent. The key goes only to the configured origin, over https; plain http is
 * allowed only for loopback hosts (a local stand-in or a tunnel), where nothing crosses a network.
 */
import { InsecureBaseUrlError } from './errors';

export const DEFAULT_BASE_URL = 'https://app.docutray.com';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Ports the Fetch standard's "port blocking" forbids (https://fetch.spec.whatwg.org/#bad-port): fetch —
 * VS Code's, Node's, undici's — refuses them before connecting, with only "bad port" to say why.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<string> = new Set([
  '1',
  '7',
  '9',
  '11',
  '13',
  '15',
  '17',
  '19',
  '20',
  '21',
  '22',
  '23',
  '25',
  '37',
  '42',
  '43',
  '53',
  '69',
  '77',
  '79',
  '87',
  '95',
  '101',
  '102',
  '103',
  '104',
  '109',
  '110',
  '111',
  '113',
  '115',
  '117',
  '119',
  '123',
  '135',
  '137',
  '139',
  '143',
  '161',
  '179',
  '389',
  '427',
  '465',
  '512',
  '513',
  '514',
  '515',
  '526',
  '530',
  '531',
  '532',
  '540',
  '548',
  '554',
  '556',
  '563',
  '587',
  '601',
  '636',
  '989',
  '990',
  '993',
  '995',
  '1719',
  '1720',
  '1723',
  '2049',
  '3659',
  '4045',
  '4190',
  '5060',
  '5061',
  '6000',
  '6566',
  '6665',
  '6666',
  '6667',
  '6668',
  '6669',
  '6679',
  '6697',
  '10080',
]);

/**
 * Checks a base URL and returns it without a trailing slash, with any path kept (a reverse proxy may
 * mount the API below a prefix). Throws {@link InsecureBaseUrlError} with a message fit to show.
 */
export function validateBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new InsecureBaseUrlError(`The DocuTray API base URL "${baseUrl}" is not a valid URL.`);
  }
  if (url.username || url.password) {
    throw new InsecureBaseUrlError('The DocuTray API base URL must not contain a user name or password.');
  }
  if (url.search || url.hash) {
    throw new InsecureBaseUrlError('The DocuTray API base URL must not contain a query or fragment.');
  }
  if (FETCH_BLOCKED_PORTS.has(url.port)) {
    throw new InsecureBaseUrlError(
      `The DocuTray API base URL uses port ${url.port}, which fetch refuses to connect to (a blocked port in the Fetch standard). Use another port: ${url.origin}`,
    );
  }
  if (url.protocol === 'https:') {
    return url;
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return url;
  }
  throw new InsecureBaseUrlError(
    url.protocol === 'http:'
      ? `The DocuTray API base URL must use https (http is allowed only for localhost): ${url.origin}`
      : `The DocuTray API base URL must be an https URL: ${url.origin}`,
  );
}

/** Joins the base URL's path with an API path that starts with `/api/`. */
export function apiUrl(base: URL, path: string): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${path}`;
}

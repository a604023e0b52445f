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
  if (url.protocol === 'https:') {
    return url;
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return url;
  }
  throw new InsecureBaseUrlError(url.protocol === 'http:'
    ? `The DocuTray API base URL must use https (http is allowed only for localhost): ${url.origin}`
    : `The DocuTray API base URL must be an https URL: ${url.origin}`);
}

/** Joins the base URL's path with an API path that starts with `/api/`. */
export function apiUrl(base: URL, path: string): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${path}`;
}

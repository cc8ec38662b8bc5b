import type { Config } from './schema.js';

/**
 * An absolute http(s) URL without credentials, query or fragment, without its trailing slash
 * (so paths can be appended); `undefined` for anything else.
 */
export function parsePublicUrl(text: string): string | undefined {
  if (/[?#]/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The configured URL clients reach Gatehouse at: GATEHOUSE_PUBLIC_URL, else GATEHOUSE_ISSUER
 * when that is an http(s) URL (RFC 8414: the issuer is the server's URL), else `undefined`.
 * Never a header of the request.
 *
 * @example
 * publicBaseUrl(configWith({ issuer: 'https://auth.example.com/' })); // 'https://auth.example.com'
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'issuer'>): string | undefined {
  if (config.publicUrl !== undefined) return parsePublicUrl(config.publicUrl);
  return config.issuer === undefined ? undefined : parsePublicUrl(config.issuer);
}

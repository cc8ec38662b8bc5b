// Order matters: Edge and Opera also say "Chrome/", Chrome also says "Safari/", Android also says "Linux".
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bWindows\b/, 'Windows'],
  [/\biPhone\b|\biPod\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

const MAX_PRODUCT_LENGTH = 32;

/**
 * A short description of the device a session signed in from, read from its `User-Agent`:
 * "Chrome on Linux", "Safari on iPhone", "curl" for a program, "Unknown device" without one.
 * A user agent is whatever the client claims; it is shown to help a person recognise a session,
 * never trusted.
 *
 * @example describeDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36') // 'Chrome on Linux'
 */
export function describeDevice(userAgent: string | null | undefined): string {
  const text = userAgent?.trim() ?? '';
  if (text === '') return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(text))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(text))?.[1];
  if (browser !== undefined && system !== undefined) return `${browser} on ${system}`;
  if (browser !== undefined) return browser;
  if (system !== undefined) return `A browser on ${system}`;
  // A program: its first product token ("curl/8.5.0" → "curl"), cut short so a long header cannot flood the page.
  const product = /^[^\s/;()]+/.exec(text)?.[0] ?? text;
  if (product === 'Mozilla') return 'Unknown browser';
  return product.length > MAX_PRODUCT_LENGTH ? `${product.slice(0, MAX_PRODUCT_LENGTH)}…` : product;
}

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDevice } from '../web/src/describe-device.js';
import { formatLastUsed } from '../web/src/format-last-used.js';

// The demo page's "Your sessions" rows: which device, and when it was last used.

describe('demo page: describeDevice', () => {
  const cases: ReadonlyArray<readonly [string | null, string]> = [
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', 'Headless Chrome on Linux'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0', 'Opera on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox on macOS'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iPhone',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
      'Chrome on iPhone',
    ],
    ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iPad'],
    ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      'Samsung Internet on Android',
    ],
    ['Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0', 'Firefox on Android'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome on ChromeOS'],
    ['Mozilla/5.0 (X11; Linux x86_64)', 'A browser on Linux'],
    ['Mozilla/5.0 (compatible)', 'Unknown browser'],
    ['curl/8.5.0', 'curl'],
    ['python-requests/2.32.3', 'python-requests'],
    ['node', 'node'],
    [null, 'Unknown device'],
    ['   ', 'Unknown device'],
  ];
  for (const [userAgent, expected] of cases) {
    it(`${JSON.stringify(userAgent?.slice(0, 60) ?? null)} reads "${expected}"`, () => {
      assert.equal(describeDevice(userAgent), expected);
    });
  }

  it('cuts a long unknown user agent short', () => {
    const described = describeDevice(`${'x'.repeat(500)}/1.0`);
    assert.ok(described.length <= 33, described);
    assert.ok(described.endsWith('…'));
  });
});

describe('demo page: formatLastUsed', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['2026-01-01T11:59:30Z', 'just now'],
    ['2026-01-01T12:00:05Z', 'just now'], // the server's clock a little ahead
    ['2026-01-01T11:59:00Z', '1 minute ago'],
    ['2026-01-01T11:55:00Z', '5 minutes ago'],
    ['2026-01-01T09:00:00Z', '3 hours ago'],
    ['2025-12-31T10:00:00Z', 'yesterday'],
    ['2025-12-28T12:00:00Z', '4 days ago'],
    ['not a date', 'at an unknown time'],
  ];
  for (const [iso, expected] of cases) {
    it(`${iso} reads "${expected}"`, () => {
      assert.equal(formatLastUsed(iso, now), expected);
    });
  }

  it('shows the date for anything older than a week', () => {
    const text = formatLastUsed('2025-11-01T12:00:00Z', now);
    assert.match(text, /^on /);
    assert.match(text, /2025/);
  });
});

import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAppPage } from './security';

describe('isAppPage', () => {
  const built = pathToFileURL('/opt/MER Studio/resources/out/renderer/index.html').href;

  it('accepts the built renderer page, with any hash or query', () => {
    expect(isAppPage(built, built)).toBe(true);
    expect(isAppPage(`${built}#/results`, built)).toBe(true);
    expect(isAppPage(`${built}?dataset=x`, built)).toBe(true);
    const unencoded = 'file:///opt/MER Studio/resources/out/renderer/index.html';
    expect(isAppPage(unencoded, built)).toBe(true);
  });

  it('refuses other files, other schemes and pages of other sites', () => {
    expect(isAppPage(pathToFileURL('/tmp/evil.html').href, built)).toBe(false);
    expect(isAppPage('https://example.com/index.html', built)).toBe(false);
    expect(isAppPage('about:blank', built)).toBe(false);
    expect(isAppPage('', built)).toBe(false);
  });

  it('accepts the dev server by origin only', () => {
    const dev = 'http://localhost:5173/';
    expect(isAppPage('http://localhost:5173/index.html#x', dev)).toBe(true);
    expect(isAppPage('http://localhost:5174/', dev)).toBe(false);
    expect(isAppPage('http://127.0.0.1:5173/', dev)).toBe(false);
  });
});

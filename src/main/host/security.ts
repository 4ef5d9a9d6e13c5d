/**
 * The renderer's Content Security Policy, the same in Electron and the web host: only our own
 * scripts and styles, images from ourselves (frames), data: and blob: URLs (flow images,
 * exports), and connections to ourselves (the web host's socket).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: mer-frame:",
  "connect-src 'self' mer-frame:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Whether an Electron IPC message comes from the app's own page: the built renderer's
 * index.html, or in development the electron-vite dev server. A frame that navigated elsewhere
 * (or a subframe) gets no access to the contract.
 */
export function isAppPage(frameUrl: string, rendererEntry: string): boolean {
  let frame: URL;
  let entry: URL;
  try {
    frame = new URL(frameUrl);
    entry = new URL(rendererEntry);
  } catch {
    return false;
  }
  if (entry.protocol === 'file:') {
    return frame.protocol === 'file:' && samePath(frame.pathname, entry.pathname);
  }
  return frame.origin === entry.origin;
}

/** Chromium and Node may percent-encode a path differently; Windows paths ignore case. */
function samePath(a: string, b: string): boolean {
  const plain = (pathname: string) => {
    const decoded = safeDecode(pathname);
    return process.platform === 'win32' ? decoded.toLowerCase() : decoded;
  };
  return plain(a) === plain(b);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

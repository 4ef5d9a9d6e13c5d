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

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName } from '../../shared/contract';
import type { AppContext } from '../app/context';
import { describeError, dispatch } from '../app/handlers';
import { frameImage, parseFrameRequest } from '../media/frame-response';
import { CONTENT_SECURITY_POLICY } from './security';

/**
 * The web host: the built renderer and the contract over HTTP + WebSocket, on 127.0.0.1 only,
 * behind a random token (like Jupyter). The token arrives in the printed URL; the page then
 * keeps it in a same-site cookie, and the socket and frame requests carry it too.
 */
export interface WebHostOptions {
  ctx: AppContext;
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TOKEN_COOKIE = 'mer_token';
const EVENTS: EventName[] = ['job.progress', 'job.done', 'job.error', 'annotations.changed'];
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const server = http.createServer((req, res) => {
    handleHttp(req, res, options, token).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, describeError(error).message);
      else res.destroy();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    // Node drops its own error listener on upgraded sockets: a reset must not end the process.
    socket.on('error', () => socket.destroy());
    const isSocketPath = new URL(req.url ?? '/', 'http://127.0.0.1').pathname === '/ws';
    if (!isSocketPath || !isLocalHost(req) || !hasToken(req, token) || !sameOrigin(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.ctx));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handleHttp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: WebHostOptions,
  token: string,
): Promise<void> {
  if (!isLocalHost(req)) return send(res, 403, 'forbidden: unexpected Host header');
  if (!hasToken(req, token)) {
    return send(res, 403, 'forbidden: open the URL with its token, as printed by mer-studio serve');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  if (!isNavigation(req) && !fromOurPage(req)) {
    return send(res, 403, 'forbidden: requested by a page of another origin');
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname.startsWith('/frames/')) {
    return serveFrame(res, options.ctx, url);
  }
  return serveStatic(res, options.rendererDir, url.pathname, token);
}

async function serveFrame(res: http.ServerResponse, ctx: AppContext, url: URL): Promise<void> {
  const request = parseFrameRequest(url.pathname.slice('/frames'.length), url.searchParams);
  if (!request) return send(res, 400, 'bad frame request: expected /frames/<clip id>/<index>');
  // The page stopped waiting (it scrubbed on): the frame is made only if another asks for it too.
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) gone.abort();
  });
  try {
    const image = await frameImage(ctx, request, gone.signal);
    res.writeHead(200, {
      'Content-Type': 'image/jpeg',
      'Cache-Control': 'private, max-age=3600',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(image);
  } catch (error) {
    if (gone.signal.aborted) return;
    const info = describeError(error);
    send(res, info.code === 'not-found' ? 404 : 500, info.message);
  }
}

async function serveStatic(
  res: http.ServerResponse,
  rendererDir: string,
  pathname: string,
  token: string,
): Promise<void> {
  let relative: string;
  try {
    relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).slice(1);
  } catch {
    return send(res, 400, 'bad path');
  }
  const file = path.resolve(rendererDir, relative);
  if (!file.startsWith(path.resolve(rendererDir) + path.sep)) return send(res, 403, 'forbidden');
  const body = await readFile(file).catch(() => null);
  if (!body) return send(res, 404, 'not found');
  const headers: Record<string, string> = {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  if (file.endsWith('.html')) {
    headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    headers['X-Frame-Options'] = 'DENY';
    headers['Set-Cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    headers['Cache-Control'] = 'no-store';
  }
  res.writeHead(200, headers);
  res.end(body);
}

function serveSocket(ws: WebSocket, ctx: AppContext): void {
  const forwarders = EVENTS.map((event) => {
    const forward = (payload: unknown) => ws.send(JSON.stringify({ event, payload }));
    ctx.events.on(event, forward);
    return () => ctx.events.off(event, forward);
  });
  ws.on('close', () => forwarders.forEach((stop) => stop()));
  // A malformed frame (bad UTF-8, too large) closes this socket only; ws then emits 'close'.
  ws.on('error', () => ws.terminate());
  ws.on('message', (data) => {
    answer(ws, ctx, String(data)).catch((error: unknown) => {
      console.error(`web host: a request failed: ${describeError(error).message}`);
    });
  });
}

/** One request on the socket: any text a client sends gets a reply, never a crash. */
async function answer(ws: WebSocket, ctx: AppContext, text: string): Promise<void> {
  const refuse = (message: string) =>
    ws.send(
      JSON.stringify({ id: null, reply: { ok: false, error: { code: 'bad-request', message } } }),
    );
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return refuse('not JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return refuse('expected an object {id, name, args}');
  }
  const { id, name, args } = message as { id?: unknown; name?: unknown; args?: unknown };
  if (!isRequestId(id)) return refuse('id must be a number or a string of at most 64 characters');
  const reply = await dispatch(ctx, name, args);
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, reply }));
}

function isRequestId(id: unknown): id is number | string | undefined {
  return (
    id === undefined ||
    (typeof id === 'number' && Number.isFinite(id)) ||
    (typeof id === 'string' && id.length <= 64)
  );
}

function hasToken(req: http.IncomingMessage, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const offered =
    url.searchParams.get('token') ??
    cookie(req.headers.cookie, TOKEN_COOKIE) ??
    req.headers.authorization?.replace(/^Bearer /, '') ??
    '';
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(header: string | undefined, name: string): string | undefined {
  return header
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)?.[1];
}

/** Refuses other Host names, so a page elsewhere cannot reach us by DNS rebinding. */
function isLocalHost(req: http.IncomingMessage): boolean {
  const host = req.headers.host ?? '';
  return /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host);
}

function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}

/**
 * Frames, scripts and styles are for our own page. Another local port is the same *site*, so
 * the same-site cookie alone would let its page embed our frames; browsers say who asks.
 */
function fromOurPage(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return sameOrigin(req) && (site === undefined || site === 'same-origin' || site === 'none');
}

/** Opening the printed URL from anywhere (a terminal, a notebook) is a top-level navigation. */
function isNavigation(req: http.IncomingMessage): boolean {
  return (
    req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document'
  );
}

function send(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

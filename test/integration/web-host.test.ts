import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import { generateDemoDataset } from '../../src/main/dataset/demo/generate';
import { startWebHost, type WebHost } from '../../src/main/host/web';

/** Raw HTTP GET so the test controls the Host header (fetch does not let it). */
function get(port: number, target: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: target, headers }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
    },
  );
}

function socket(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** A socket upgrade without the token, reset by the client as the host refuses it. */
function resetDuringRefusedUpgrade(port: number): Promise<void> {
  return new Promise((resolve) => {
    const client = net.connect(port, '127.0.0.1', () => {
      client.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      client.resetAndDestroy();
      resolve();
    });
    client.on('error', () => resolve());
  });
}

function ask(ws: WebSocket, name: string, args: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 1e9);
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(String(data)) as { id?: number; reply?: unknown };
      if (message.id === id) {
        ws.off('message', onMessage);
        resolve(message.reply);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, name, args }));
  });
}

describe('web host: 127.0.0.1, token, confinement', () => {
  let host: WebHost;
  let ctx: AppContext;

  beforeAll(async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'mer-web-'));
    const rendererDir = path.join(base, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(base, 'secret.txt'), 'outside the renderer');
    const datasetDir = path.join(base, 'dataset');
    await generateDemoDataset(datasetDir, {
      subjects: 1,
      clipsPerSubject: 1,
      framesPerClip: 20,
      width: 128,
      height: 96,
    });
    ctx = new AppContext('web', path.join(base, 'data'));
    expect((await dispatch(ctx, 'dataset.open', { path: datasetDir })).ok).toBe(true);
    host = await startWebHost({ ctx, rendererDir });
  });

  afterAll(async () => {
    await host?.close();
    await ctx?.close();
  });

  it('listens on 127.0.0.1 with a random token in the URL', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses every request without the right token', async () => {
    for (const target of ['/', '/index.html', '/frames/sub01%2FEP01/0', '/?token=wrong']) {
      expect((await get(host.port, target)).status, target).toBe(403);
    }
  });

  it('serves the page with its CSP and a same-site cookie that then stands in for the token', async () => {
    const page = await get(host.port, `/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(String(page.headers['set-cookie'])).toContain('SameSite=Strict');
    expect((await get(host.port, '/index.html', { cookie })).status).toBe(200);
  });

  it('refuses other Host names (DNS rebinding)', async () => {
    const reply = await get(host.port, `/?token=${host.token}`, { host: 'evil.example:80' });
    expect(reply.status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const reply = await get(host.port, `${target}?token=${host.token}`);
      expect([403, 404], target).toContain(reply.status);
      expect(reply.body).not.toContain('outside the renderer');
    }
  });

  it('serves frames of the open dataset only, by clip id and index', async () => {
    const frame = await get(host.port, `/frames/sub01%2FEP01/3?token=${host.token}`);
    expect(frame.status).toBe(200);
    expect(frame.headers['content-type']).toBe('image/jpeg');
    const beyond = await get(host.port, `/frames/sub01%2FEP01/20?token=${host.token}`);
    expect(beyond.status).toBe(404);
    expect(beyond.body).toContain('outside the clip');
    const unknown = await get(host.port, `/frames/..%2F..%2Fetc%2Fpasswd/0?token=${host.token}`);
    expect(unknown.status).toBe(404);
  });

  it('serves frames and files to its own page only, yet opens from a link anywhere', async () => {
    const frame = `/frames/sub01%2FEP01/3?token=${host.token}`;
    const own = await get(host.port, frame, { 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(200);
    expect(own.headers['cross-origin-resource-policy']).toBe('same-origin');
    // another local port is the same site: its page would send our cookie with an <img>
    for (const site of ['same-site', 'cross-site']) {
      const embedded = await get(host.port, frame, { 'sec-fetch-site': site });
      expect(embedded.status, site).toBe(403);
      expect(embedded.body).toContain('another origin');
    }
    const fetched = await get(host.port, frame, { origin: 'http://127.0.0.1:1' });
    expect(fetched.status).toBe(403);
    const script = await get(host.port, `/index.html?token=${host.token}`, {
      'sec-fetch-site': 'same-site',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'script',
    });
    expect(script.status).toBe(403);
    const linked = await get(host.port, `/?token=${host.token}`, {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    });
    expect(linked.status).toBe(200);
  });

  it('answers the contract over the socket, validating arguments', async () => {
    const ws = await socket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const info = (await ask(ws, 'dataset.current', {})) as {
      ok: boolean;
      result: { clips: unknown[] };
    };
    expect(info.ok).toBe(true);
    expect(info.result.clips).toHaveLength(1);
    expect(await ask(ws, 'dataset.open', { path: 5 })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    ws.close();
  });

  it('answers any text on the socket, and stays up', async () => {
    const ws = await socket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(String(data))));
    for (const text of ['null', '7', '"x"', '[]', '{"name":null}', 'not json']) ws.send(text);
    await expect.poll(() => replies.length).toBe(6);
    for (const reply of replies) {
      expect(reply).toMatchObject({ reply: { ok: false, error: { code: 'bad-request' } } });
    }
    expect(await ask(ws, 'dataset.current', {})).toMatchObject({ ok: true });
    ws.close();
    const malformed = await get(host.port, `/%E0%A4%A?token=${host.token}`);
    expect(malformed.status).toBe(400);
  });

  it('stays up through reset connections, malformed frames and deeply nested requests', async () => {
    for (let i = 0; i < 20; i++) await resetDuringRefusedUpgrade(host.port);
    const broken = await socket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const closed = new Promise((resolve) => broken.once('close', resolve));
    broken.send(Buffer.from([0x61, 0xff, 0xfe]), { binary: false }); // a text frame, not UTF-8
    await closed;
    const ws = await socket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(String(data))));
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    ws.send(`{"id":1,"name":${deep}}`);
    ws.send(`{"id":${deep},"name":"dataset.current"}`);
    await expect.poll(() => replies.length).toBe(2);
    for (const reply of replies) {
      expect(reply).toMatchObject({ reply: { ok: false, error: { code: 'bad-request' } } });
    }
    expect(await ask(ws, 'dataset.current', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('refuses sockets without the token or from another origin', async () => {
    await expect(socket(`ws://127.0.0.1:${host.port}/ws`)).rejects.toThrow(/403/);
    await expect(
      socket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, 'http://evil.example'),
    ).rejects.toThrow(/403/);
  });
});

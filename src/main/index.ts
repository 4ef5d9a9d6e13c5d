/**
 * The Electron shell, kept thin: one secure window, the contract on one IPC channel, frames on
 * the mer-frame: protocol. Everything else is in the services, which never import electron.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  protocol,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EventName } from '../shared/contract';
import { AppContext } from './app/context';
import { describeError, dispatch } from './app/handlers';
import { defaultDataFolder } from './app/paths';
import { ensureDemoDataset } from './dataset/demo/ensure';
import { restoreCoder } from './workspace/remembered';
import { frameImage, parseFrameRequest } from './media/frame-response';
import { CONTENT_SECURITY_POLICY, isAppPage } from './host/security';

const here = path.dirname(fileURLToPath(import.meta.url));
const EVENTS: EventName[] = ['job.progress', 'job.done', 'job.error', 'annotations.changed'];
// The dev server's URL (electron-vite dev) is trusted for IPC, so a packaged app ignores it.
const RENDERER_ENTRY =
  (app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL) ??
  pathToFileURL(path.join(here, '../renderer/index.html')).href;

protocol.registerSchemesAsPrivileged([
  { scheme: 'mer-frame', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

async function start(): Promise<void> {
  await app.whenReady();
  const ctx = new AppContext('electron', defaultDataFolder());
  await restoreCoder(ctx);
  registerFrameProtocol(ctx);
  denyPermissions();
  ipcMain.handle('mer:request', (event, name: unknown, args: unknown) =>
    fromAppPage(event)
      ? dispatch(ctx, name, args)
      : { ok: false, error: { code: 'bad-request', message: 'not from the app page' } },
  );
  // Without a dataset the window still opens: the user can open one from there.
  const dataset =
    process.env.MER_DATASET ??
    (await ensureDemoDataset(ctx.dataFolder).catch((error: Error) => {
      console.error(`could not write the demo dataset in ${ctx.dataFolder}: ${error.message}`);
      return null;
    }));
  if (dataset) {
    const opened = await dispatch(ctx, 'dataset.open', { path: dataset });
    if (!opened.ok) console.error(`could not open ${dataset}: ${opened.error.message}`);
  }
  const window = createWindow();
  ipcMain.handle('mer:choose-folder', async (event) => {
    if (!fromAppPage(event)) return null;
    const choice = await dialog.showOpenDialog(window, {
      title: 'Open a dataset folder',
      properties: ['openDirectory'],
    });
    return choice.canceled ? null : (choice.filePaths[0] ?? null);
  });
  ipcMain.handle('mer:choose-annotation-file', async (event) => {
    if (!fromAppPage(event)) return null;
    const choice = await dialog.showOpenDialog(window, {
      title: 'Import an annotation spreadsheet',
      properties: ['openFile'],
      filters: [
        { name: 'Annotation tables', extensions: ['xlsx', 'xlsm', 'xls', 'csv', 'tsv', 'txt'] },
      ],
    });
    return choice.canceled ? null : (choice.filePaths[0] ?? null);
  });
  for (const event of EVENTS) {
    ctx.events.on(event, (payload) => {
      // Jobs may still report while the window closes.
      if (!window.isDestroyed()) window.webContents.send(`mer:event:${event}`, payload);
    });
  }
  app.on('window-all-closed', () => {
    void ctx.close().finally(() => app.quit());
  });
}

function fromAppPage(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppPage(frame.url, RENDERER_ENTRY);
}

/** The app needs no camera, microphone, notifications, geolocation or the like. */
function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, grant) =>
    grant(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
}

function createWindow(): BrowserWindow {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'MER Studio',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // No navigation away from the app and no new windows; web links open in the browser.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(RENDERER_ENTRY);
  return window;
}

function registerFrameProtocol(ctx: AppContext): void {
  protocol.handle('mer-frame', async (request) => {
    const url = new URL(request.url);
    const frame = parseFrameRequest(url.pathname, url.searchParams);
    if (url.host !== 'frames' || !frame) return new Response('bad frame request', { status: 400 });
    try {
      const image = await frameImage(ctx, frame);
      return new Response(new Uint8Array(image), { headers: { 'Content-Type': 'image/jpeg' } });
    } catch (error) {
      const info = describeError(error);
      return new Response(info.message, { status: info.code === 'not-found' ? 404 : 500 });
    }
  });
}

start().catch((error: Error) => {
  dialog.showErrorBox('MER Studio could not start', error.stack ?? error.message);
  app.exit(1);
});

import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { newDataFolder, startHost, type RunningHost } from './web-host';

/** The built web host on a fresh data folder, and a chromium page showing the app. */
export interface AppSession {
  host: RunningHost;
  browser: Browser;
  page: Page;
  dataFolder: string;
  /** Closes the browser, stops the host and removes the data folder. */
  close(): Promise<void>;
}

export async function openAppSession(
  options: { port?: number; viewport?: { width: number; height: number } } = {},
): Promise<AppSession> {
  const dataFolder = newDataFolder();
  const host = await startHost(dataFolder, options.port ?? 0);
  const browser = await launchChromium();
  const page = await browser.newPage({
    viewport: options.viewport ?? { width: 1400, height: 900 },
  });
  await page.goto(host.url);
  const session: AppSession = {
    host,
    browser,
    page,
    dataFolder,
    close: async () => {
      await browser.close();
      await session.host.stop();
      await rm(dataFolder, { recursive: true, force: true });
    },
  };
  return session;
}

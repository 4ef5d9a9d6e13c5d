import { access } from 'node:fs/promises';
import type { CliCommand } from '../command';
import { ExitCode, UserError } from '../command';
import { parseCommandArgs } from '../options';
import { AppContext } from '../../app/context';
import { defaultDataFolder, projectFile } from '../../app/paths';
import { describeError, dispatch } from '../../app/handlers';
import { ensureDemoDataset } from '../../dataset/demo/ensure';
import { startWebHost } from '../../host/web';
import { readRemembered, remember, restoreCoder } from '../../workspace/remembered';
import { locateFfmpeg, stopAllFfmpeg } from '../../media/ffmpeg';

const usage = 'mer-studio serve [--port N] [--dataset <dir>] [--json]';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'serve the app in a browser on 127.0.0.1 (prints the URL with its token)',
  help: `${usage}

Starts the web host: the same app as the desktop window, in your browser. It listens on
127.0.0.1 only and refuses any request without the token in the printed URL.

  --port N          port, 1–65535, or 0 for any free one, with a new token (default: the port
                    and token of last time, so open browser windows reconnect and keep their
                    unsaved drafts, else a free port)
  --dataset <dir>   dataset to open (default: the built-in demo dataset, generated on first use)
  --json            print {"url", "port", "dataset"} as one JSON line instead`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { port: { type: 'string' }, dataset: { type: 'string' } },
      usage,
    );
    const port = values.port === undefined ? undefined : portNumber(values.port);
    const rendererDir = projectFile('out/renderer');
    await access(`${rendererDir}/index.html`).catch(() => {
      throw new UserError('the renderer is not built: run `npm run build` first', ExitCode.failure);
    });
    const ctx = new AppContext('web', defaultDataFolder());
    await restoreCoder(ctx);
    reportFfmpeg(io);
    const dataset =
      values.dataset ??
      (await ensureDemoDataset(ctx.dataFolder, (done, total) =>
        io.err(`generating the demo dataset: clip ${done}/${total}`),
      ));
    const opened = await dispatch(ctx, 'dataset.open', { path: dataset });
    if (!opened.ok) io.err(`could not open ${dataset}: ${opened.error.message}`);
    const host = await startOnPort(ctx, rendererDir, port);
    if (values.json) io.out(JSON.stringify({ url: host.url, port: host.port, dataset }));
    else io.out(`MER Studio is serving ${dataset}\nopen ${host.url}`);
    // A stray failure in one request is logged, not fatal to every open window and running job.
    const logRejection = (reason: unknown) =>
      io.err(`error (the host keeps running): ${describeError(reason).message}`);
    process.on('unhandledRejection', logRejection);
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve()));
    process.off('unhandledRejection', logRejection);
    await stopAllFfmpeg(); // decoders reading ahead would otherwise finish their windows first
    await host.close();
    await ctx.close();
    return ExitCode.ok;
  },
};

/**
 * The port asked for (with a new token), else the port and token used last time, so windows open
 * before a restart reconnect and find their unsaved drafts (kept per origin), else a free port.
 */
async function startOnPort(ctx: AppContext, rendererDir: string, port: number | undefined) {
  if (port !== undefined) return startWebHost({ ctx, rendererDir, port });
  const last = await readRemembered(ctx.dataFolder);
  const host = await startWebHost({ ctx, rendererDir, port: last.port ?? 0, token: last.token })
    // Another port gets a new token: windows still knocking at the old port may not be ours.
    .catch((error: NodeJS.ErrnoException) => {
      if (last.port === undefined || error.code !== 'EADDRINUSE') throw error;
      return startWebHost({ ctx, rendererDir, port: 0 });
    });
  await remember(ctx.dataFolder, { port: host.port, token: host.token });
  return host;
}

function reportFfmpeg(io: { err(text: string): void }): void {
  try {
    const ffmpeg = locateFfmpeg();
    io.err(`ffmpeg: ${ffmpeg.path} (${ffmpeg.source}, version ${ffmpeg.version})`);
  } catch (error) {
    io.err(`warning: ${(error as Error).message}`);
  }
}

/** Checked before any work (the demo dataset can take a while to generate). */
function portNumber(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UserError(
      `--port must be a whole number from 0 (a free port) to 65535, got ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  }
  return port;
}

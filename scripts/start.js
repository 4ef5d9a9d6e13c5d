// `npm start`: build if needed, then open the Electron app on the demo dataset. When the
// Electron binary is missing it is fetched once (electron's own install script); where that
// cannot work (no network to its download host, no display), the web host starts instead.
// With CI=true the web host is started, checked to answer (and to refuse a request without its
// token), and stopped: a smoke test of the same command a user runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
// A failed fetch is not retried for a day: on an offline machine every start would wait for it.
const failedFetchMarker = path.join(electronDir, '.mer-fetch-failed');
const RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

buildIfNeeded();
if (process.env.CI) await smokeTestWebHost();
else if (hasDisplay() && ensureElectron()) runElectron();
else runWebHost();

function buildIfNeeded() {
  const built = path.join(root, 'out', 'main', 'index.js');
  if (existsSync(built) && newestSource(path.join(root, 'src')) < statSync(built).mtimeMs) return;
  console.log('building MER Studio…');
  const result = spawnSync(process.execPath, [bin('electron-vite'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function ensureElectron() {
  if (electronBinaryPresent()) return true;
  if (
    existsSync(failedFetchMarker) &&
    Date.now() - statSync(failedFetchMarker).mtimeMs < RETRY_AFTER_MS
  ) {
    console.log(
      'no Electron binary (its download failed within the last day; retry now with ' +
        '`node node_modules/electron/install.js`); starting the web host instead.',
    );
    return false;
  }
  console.log('fetching the Electron binary (once)…');
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: 'pipe',
    timeout: 120_000,
    encoding: 'utf8',
  });
  if (result.status === 0 && electronBinaryPresent()) return true;
  const reason = (result.stderr || result.error?.message || 'no reason given')
    .trim()
    .split('\n')[0];
  console.log(`Electron binary could not be fetched (${reason}); starting the web host instead.`);
  try {
    writeFileSync(failedFetchMarker, `${new Date().toISOString()} ${reason}\n`);
  } catch {
    // a read-only node_modules: the fetch is tried again next time
  }
  return false;
}

function electronBinaryPresent() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return false;
  const relative = readFileSync(pathFile, 'utf8').trim();
  return relative !== '' && existsSync(path.join(electronDir, 'dist', relative));
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return true;
  console.log('no display found (DISPLAY is not set); starting the web host instead.');
  return false;
}

function runElectron() {
  const child = spawn(process.execPath, [path.join(electronDir, 'cli.js'), root], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
}

function runWebHost() {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'mer-studio.js'), 'serve'], {
    stdio: 'inherit',
  });
  process.on('SIGINT', () => child.kill('SIGINT'));
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function smokeTestWebHost() {
  console.log('CI: starting the web host on the demo dataset to check that it answers…');
  const child = spawn(process.execPath, [path.join(root, 'bin', 'mer-studio.js'), 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the web host exited with code ${code}`)));
  });
  const withToken = await fetch(url);
  const withoutToken = await fetch(new URL('/', url));
  child.kill('SIGTERM');
  if (withToken.status !== 200 || withoutToken.status !== 403) {
    console.error(
      `CI: web host answered ${withToken.status} with token, ${withoutToken.status} without`,
    );
    process.exit(1);
  }
  console.log(
    'CI: the web host served the app (200) and refused a request without its token (403).',
  );
}

function bin(name) {
  return path.join(root, 'node_modules', name, 'bin', `${name}.js`);
}

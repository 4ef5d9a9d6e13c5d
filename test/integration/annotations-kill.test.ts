import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AnnotationStore } from '../../src/main/annotations/store';

const child = fileURLToPath(new URL('./annotations-kill-child.ts', import.meta.url));
const ROUNDS = 20;

interface Round {
  ready: number;
  lastAck: number;
}

/** Runs the saving child and SIGKILLs it after a random delay once it is saving. */
function runAndKill(folder: string, delayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, folder], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ready = -1;
    let lastAck = -1;
    let buffered = '';
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, number] = line.split(' ');
        if (word === 'ack') lastAck = Number(number);
        if (word === 'ready') {
          ready = Number(number);
          lastAck = ready;
          setTimeout(() => proc.kill('SIGKILL'), delayMs);
        }
      }
    });
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${stderr}`));
      else resolve({ ready, lastAck });
    });
  });
}

describe('annotation store under SIGKILL', () => {
  let folder: string;
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(`keeps the last acknowledged save intact through ${ROUNDS} kills mid-save`, async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'mer-kill-'));
    const file = path.join(folder, 'annotations', 'killer.json');
    let previous = 0;
    let totalAcks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { ready, lastAck } = await runAndKill(folder, 5 + Math.random() * 300);
      expect(ready).toBe(previous);
      // The file itself must parse: atomic replace, not the backup, keeps it whole.
      const parsed = JSON.parse(await readFile(file, 'utf8'));
      const counter = Number(String(parsed.annotations.counter?.notes ?? 'save 0').split(' ')[1]);
      expect(counter).toBeGreaterThanOrEqual(lastAck);
      expect(counter).toBeLessThanOrEqual(lastAck + 1);
      expect(Object.keys(parsed.annotations).length).toBeGreaterThanOrEqual(400);
      const store = new AnnotationStore({
        location: { folder, where: 'dataset' },
        coder: 'killer',
        dataset: { name: 'kill-test', root: folder },
      });
      expect((await store.get('counter'))?.notes.startsWith(`save ${counter} `)).toBe(true);
      expect(store.notices).toEqual([]);
      totalAcks += lastAck - ready;
      previous = counter;
    }
    console.log(
      `[kill test] ${ROUNDS} kills, ${totalAcks} acknowledged saves, final counter ${previous}`,
    );
    expect(totalAcks).toBeGreaterThan(0);
    const leftovers = (await readdir(path.dirname(file))).filter((name) => name.includes('.tmp-'));
    expect(leftovers.length).toBeLessThanOrEqual(ROUNDS);
  }, 240_000);
});

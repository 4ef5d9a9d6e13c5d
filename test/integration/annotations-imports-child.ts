/**
 * A second process for annotations-imports.test.ts, beside the test's process (the running app):
 *   cli <args…>                                 the mer-studio command, from source
 *   save <dataset> <sheet> <name> <turns>       once "go" comes on stdin, saves the sheet's import
 *                                               <turns> times, printing what each save replaced
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { importAnnotationFile } from '../../src/main/annotations/import/import';
import { saveImportedSet } from '../../src/main/annotations/imported';
import { datasetStorageFolder } from '../../src/main/annotations/location';
import { runCli } from '../../src/main/cli/index';
import { openDataset } from '../../src/main/dataset';

/** One save: its label (as its importedAt) and the label of the save it says it replaced. */
export interface SaveOutcome {
  importedAt: string;
  replaced: string | null;
}

/** The sheets' columns, as `--map` takes them. */
export const MAP = 'subject=who,clip=video,onset=a,apex=b,offset=c,emotion=feel';

function mappingOf(text: string): Record<string, string> {
  return Object.fromEntries(text.split(',').map((pair) => pair.split('=')));
}

async function saveInTurns(root: string, sheet: string, name: string, turns: number) {
  const dataset = await openDataset(root);
  const outcome = await importAnnotationFile(sheet, { dataset, mapping: mappingOf(MAP) });
  const location = { folder: datasetStorageFolder(root), where: 'dataset' as const };
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  for (let turn = 0; turn < turns; turn++) {
    // A label per save, so that the save after it names it as the one it replaced.
    const importedAt = `${name} ${turn}`;
    const saved = await saveImportedSet(location, outcome, importedAt);
    const result: SaveOutcome = { importedAt, replaced: saved.replaced?.importedAt ?? null };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  lines.close();
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'cli') {
    process.exitCode = await runCli(args, {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      isTTY: false,
      signal: new AbortController().signal,
    });
    return;
  }
  const [root, sheet, name, turns] = args;
  await saveInTurns(root, sheet, name, Number(turns));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

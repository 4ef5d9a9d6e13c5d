/**
 * Child process of annotations-kill.test.ts: saves annotations in a tight loop and prints
 * "ack N" after save N has been acknowledged (resolved). The test kills it at random moments.
 */
import { AnnotationStore } from '../../src/main/annotations/store';
import type { ClipAnnotation } from '../../src/shared/domain';

const [folder] = process.argv.slice(2);
const store = new AnnotationStore({
  location: { folder, where: 'dataset' },
  coder: 'killer',
  dataset: { name: 'kill-test', root: folder },
});

function annotation(clipId: string, counter: number): ClipAnnotation {
  return {
    clipId,
    onset: counter % 1000,
    apex: (counter % 1000) + 1,
    offset: (counter % 1000) + 2,
    emotion: 'surprise',
    threeClass: 'surprise',
    aus: [
      { au: 1, raw: '1' },
      { au: 2, raw: '2' },
    ],
    ausRaw: '1+2',
    flags: { blink: false, occlusion: false, badFrames: false },
    notes: `save ${counter} ${'x'.repeat(200)}`,
    coder: 'killer',
    updatedAt: new Date().toISOString(),
  };
}

const start = Number((await store.get('counter'))?.notes.split(' ')[1] ?? 0);
// Many clips make every write a few hundred kB, so kills land inside writes.
for (let i = 0; i < 400; i++) {
  if (!(await store.get(`clip${i}`))) await store.save(annotation(`clip${i}`, 0));
}
process.stdout.write(`ready ${start}\n`);
for (let counter = start + 1; ; counter++) {
  await store.save(annotation('counter', counter));
  process.stdout.write(`ack ${counter}\n`);
}

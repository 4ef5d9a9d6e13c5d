import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession, openPipelineModel, shippedModelPath } from '../../src/main/model/session';
import { cardPathFor } from '../../src/main/model/card';

const testModel = (name: string) => path.resolve('test/fixtures/models', `${name}.onnx`);

function modelCopy(editCard?: (card: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-model-'));
  const model = path.join(dir, 'model.onnx');
  copyFileSync(shippedModelPath(), model);
  const card = JSON.parse(readFileSync(cardPathFor(shippedModelPath()), 'utf8')) as Record<
    string,
    unknown
  >;
  editCard?.(card);
  writeFileSync(cardPathFor(model), JSON.stringify(card));
  return model;
}

describe('model session (onnxruntime-node, shipped model)', () => {
  it('asks for CUDA, falls back to CPU here and says why', async () => {
    const session = await ModelSession.open();
    expect(session.provider).toBe('cpu');
    expect(session.providerNote).toMatch(/CUDA/);
    await session.close();
  });

  it('classifies a batch: one probability vector per sample, each summing to 1', async () => {
    const session = await ModelSession.open(shippedModelPath(), 'cpu');
    const maps = Float32Array.from({ length: 5 * 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    const results = await session.classify(maps);
    expect(results).toHaveLength(5);
    for (const probabilities of results) {
      const values = Object.values(probabilities);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    await expect(session.classify(new Float32Array(100))).rejects.toThrow(/N×3×28×28/);
    await session.close();
  });

  it('keeps the event loop free while a large batch is classified', async () => {
    const session = await ModelSession.open(shippedModelPath(), 'cpu');
    const maps = Float32Array.from({ length: 2048 * 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    const results = await session.classify(maps);
    clearInterval(timer);
    expect(results).toHaveLength(2048);
    // onnxruntime-node runs a session on the calling thread: in the main thread no timer could fire
    // before the results arrive (their continuation runs before any timer).
    expect(ticks).toBeGreaterThan(0);
    await session.close();
    await expect(session.classify(maps.subarray(0, 3 * 28 * 28))).rejects.toThrow(/closed/);
  });

  it('refuses a model whose card does not match the graph', async () => {
    const wrongInput = modelCopy((card) => {
      (card.input as Record<string, unknown>).name = 'image';
    });
    await expect(ModelSession.open(wrongInput, 'cpu')).rejects.toThrow(/does not match its card/);
    const wrongClasses = modelCopy((card) => {
      card.classes = ['happy', 'sad', 'surprise'];
    });
    await expect(ModelSession.open(wrongClasses, 'cpu')).rejects.toThrow(/classes must be/);
  });

  it('refuses a card copied beside another model (its sha256 names a different file)', async () => {
    const other = modelCopy();
    copyFileSync(testModel('scaled'), other);
    await expect(ModelSession.open(other, 'cpu')).rejects.toThrow(
      /not the model its card .*model\.card\.json describes \(the card's sha256 is d3bce2a8/,
    );
  });

  it('refuses outputs that are not what the card says: NaN, or "probabilities" that are not', async () => {
    const scaled = await ModelSession.open(testModel('scaled'), 'cpu');
    const maps = Float32Array.from({ length: 2 * 3 * 28 * 28 }, (_, i) => (i % 7) / 7);
    await expect(scaled.classify(maps)).rejects.toThrow(
      /card says the output is probabilities, but a row is \(.*\), summing to .*"logits"/,
    );
    await scaled.close();
    const logitsCard = modelCopy((card) => {
      card.output = { ...(card.output as object), kind: 'logits' };
      delete card.sha256;
    });
    const probabilities = await ModelSession.open(logitsCard, 'cpu');
    await expect(probabilities.classify(maps)).rejects.toThrow(
      /card says the output is logits, but every row is already probabilities/,
    );
    await probabilities.close();
    const notFinite = await ModelSession.open(testModel('not-finite'), 'cpu');
    await expect(notFinite.classify(maps)).rejects.toThrow(/non-finite outputs \(NaN/);
    await notFinite.close();
  });

  it('runs a model exported for one batch size in runs of that size', async () => {
    const session = await ModelSession.open(testModel('fixed-batch-2'), 'cpu');
    const maps = Float32Array.from({ length: 5 * 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    const together = await session.classify(maps);
    expect(together).toHaveLength(5);
    const one = 3 * 28 * 28;
    for (let i = 0; i < 5; i++) {
      const alone = await session.classify(maps.subarray(i * one, (i + 1) * one));
      expect(alone).toHaveLength(1);
      expect(alone[0].positive).toBeCloseTo(together[i].positive, 6);
    }
    await session.close();
  });

  it("refuses a model for another layout in the app's pipeline, not for precomputed maps", async () => {
    const mosaic = modelCopy((card) => {
      (card.input as Record<string, unknown>).layout = 'mosaic';
    });
    await expect(openPipelineModel(mosaic, 'cpu')).rejects.toThrow(
      /input layout is "mosaic"; the app computes whole-face maps/,
    );
    const session = await ModelSession.open(mosaic, 'cpu');
    await session.close();
    const wrongShape = modelCopy((card) => {
      (card.input as Record<string, unknown>).shape = [null, 3, 32, 32];
    });
    await expect(ModelSession.open(wrongShape, 'cpu')).rejects.toThrow(/card input shape/);
  });

  it('says clearly when the model or its card is missing or malformed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mer-model-'));
    await expect(ModelSession.open(path.join(dir, 'none.onnx'))).rejects.toThrow(/not found/);
    const noCard = path.join(dir, 'nocard.onnx');
    copyFileSync(shippedModelPath(), noCard);
    await expect(ModelSession.open(noCard)).rejects.toThrow(/model card not found/);
    const garbage = modelCopy((card) => delete card.sha256);
    writeFileSync(garbage, Buffer.from('this is not an onnx model'));
    await expect(ModelSession.open(garbage, 'cpu')).rejects.toThrow(/not a loadable ONNX model/);
    writeFileSync(garbage, Buffer.alloc(0));
    const empty = ModelSession.open(garbage, 'cpu');
    await expect(empty).rejects.toThrow(
      /not a loadable ONNX model \(ModelProto does not have a graph/,
    );
    await expect(empty).rejects.not.toThrow(/onnxruntime_src/);
    const badJson = modelCopy();
    writeFileSync(cardPathFor(badJson), '{ nope');
    await expect(ModelSession.open(badJson, 'cpu')).rejects.toThrow(/not valid JSON/);
  });
});

/** Samples/s of `classify` on random maps of one batch size: 3 warm-up runs, then at least 3 runs
 * and `seconds` of timed runs. Shared by the onnxruntime and model-service benchmarks. */
export async function samplesPerSecond(
  classify: (maps: Float32Array, batch: number) => Promise<unknown>,
  batch: number,
  seconds: number,
): Promise<number> {
  const maps = Float32Array.from({ length: batch * 3 * 28 * 28 }, () => Math.random() * 255);
  for (let i = 0; i < 3; i++) await classify(maps, batch);
  let runs = 0;
  const started = performance.now();
  for (;;) {
    await classify(maps, batch);
    runs += 1;
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds && runs >= 3) return (runs * batch) / elapsed;
  }
}

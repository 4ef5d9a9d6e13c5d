#!/bin/sh
# Model benchmarks: ONNX Runtime vs PyTorch eager inference on the same CPU in the same run, and
# LOSO wall time per preset. Prints figures and ratios; asserts nothing about time.
# usage: bench/model/run.sh [threads (default: all cores)] [seconds per measurement (default 3)] [rounds (default 3)]
# Both runtimes run the shipped architecture (models/ahmsa-net.onnx; PyTorch rebuilds it from the card).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
threads=${1:-$(nproc)}
seconds=${2:-3}
python=${MER_PYTHON:-/usr/bin/python3}
out=$root/bench/results
mkdir -p "$out"
cd "$root"

rounds=${3:-3}
echo "== inference, $threads thread(s), batch 1 and 256 (samples/s; best of $rounds alternating rounds) =="
: > "$out/model-inference.jsonl"
i=0
while [ "$i" -lt "$rounds" ]; do
  # alternate the two runtimes so both see the same machine load
  "$python" "$here/torch_inference.py" --threads "$threads" --seconds "$seconds" >> "$out/model-inference.jsonl"
  node "$here/ort_inference.mjs" --threads "$threads" --seconds "$seconds" >> "$out/model-inference.jsonl"
  i=$((i + 1))
done
"$python" - "$out/model-inference.jsonl" <<'PY'
import json, sys
from collections import defaultdict
best, runtime_names, all_rates = {}, {}, defaultdict(list)
for line in open(sys.argv[1]):
    result = json.loads(line)
    kind = "ort" if result["runtime"].startswith("onnxruntime") else "torch"
    runtime_names[kind] = result["runtime"]
    for batch, rate in result["samplesPerSecond"].items():
        all_rates[kind, batch].append(rate)
        best[kind, batch] = max(best.get((kind, batch), 0.0), rate)
print(f"{'batch':>6} {runtime_names['torch']:>26} {runtime_names['ort']:>30} {'ORT / PyTorch':>14}")
for batch in sorted({b for _, b in best}, key=int):
    torch_rate, ort_rate = best["torch", batch], best["ort", batch]
    print(f"{batch:>6} {torch_rate:>26.1f} {ort_rate:>30.1f} {ort_rate / torch_rate:>13.2f}x"
          f"   (all rounds: torch {', '.join(f'{r:.0f}' for r in all_rates['torch', batch])};"
          f" ort {', '.join(f'{r:.0f}' for r in all_rates['ort', batch])})")
PY

echo "== LOSO wall time per preset (68 folds, $threads thread(s)) =="
loso_json=$("$python" "$here/loso_time.py" --threads "$threads" --cpu-metrics "$root/models/runs/loso-cpu/metrics.json")
echo "$loso_json" > "$out/model-loso-time.json"
"$python" - "$loso_json" <<'PY'
import json, sys
report = json.loads(sys.argv[1])
for name, figures in report["presets"].items():
    line = (f"{name:>6}: {figures['secondsPerStep'] * 1000:8.1f} ms/step x {figures['stepsPerFold']} steps/fold x 68 folds"
            f" = estimated {figures['estimatedMinutes']:.1f} min")
    if "measuredMinutes" in figures:
        used = figures["measuredWith"]
        line += f"; measured full run {figures['measuredMinutes']:.1f} min ({used['workers']} workers, {used['threads']} threads)"
    print(line)
PY

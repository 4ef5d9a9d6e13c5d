#!/bin/sh
# Model benchmarks: ONNX Runtime vs PyTorch eager inference on the same CPU in the same run, and
# LOSO wall time per preset. Prints figures and ratios; asserts nothing about time.
# usage: bench/model/run.sh [thread counts (default: "1 <all cores>")] [seconds per measurement (default 3)] [rounds (default 3)]
# Both runtimes run the shipped architecture (models/ahmsa-net.onnx; PyTorch rebuilds it from the card).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
thread_counts=${1:-"1 $(nproc)"}
seconds=${2:-3}
rounds=${3:-3}
python=${MER_PYTHON:-/usr/bin/python3}
out=$root/bench/results
mkdir -p "$out"
cd "$root"

echo "== inference, batch 1 and 256 (samples/s; best of $rounds alternating rounds; threads: $thread_counts) =="
: > "$out/model-inference.jsonl"
i=0
while [ "$i" -lt "$rounds" ]; do
  # alternate the runtimes so all see the same machine load
  for threads in $thread_counts; do
    "$python" "$here/torch_inference.py" --threads "$threads" --seconds "$seconds" >> "$out/model-inference.jsonl"
    npx tsx "$here/ort_inference.ts" --threads "$threads" --seconds "$seconds" >> "$out/model-inference.jsonl"
  done
  npx tsx "$here/service_inference.ts" --seconds "$seconds" >> "$out/model-inference.jsonl"
  i=$((i + 1))
done
"$python" - "$out/model-inference.jsonl" <<'PY'
import json, sys
from collections import defaultdict
rates = defaultdict(list)  # (runtime, threads, batch) -> samples/s of each round
for line in open(sys.argv[1]):
    result = json.loads(line)
    for batch, rate in result["samplesPerSecond"].items():
        rates[result["runtime"], result["threads"], batch].append(rate)
best = {key: max(values) for key, values in rates.items()}
batches = sorted({key[2] for key in best}, key=int)
def is_torch(runtime): return runtime.startswith("pytorch")
print(f"{'runtime':>34} {'threads':>7} " + " ".join(f"{'batch ' + b:>12}" for b in batches))
for runtime, threads in sorted({key[:2] for key in best}, key=lambda k: (not is_torch(k[0]), k[0], k[1])):
    print(f"{runtime:>34} {threads:>7} " + " ".join(f"{best[runtime, threads, b]:>12.1f}" for b in batches))
torch_name = next(key[0] for key in best if is_torch(key[0]))
for batch in batches:
    torch_rate, torch_threads = max((rate, key[1]) for key, rate in best.items() if key[:1] == (torch_name,) and key[2] == batch)
    for runtime, threads in sorted({key[:2] for key in best if not is_torch(key[0])}):
        rate = best[runtime, threads, batch]
        line = f"batch {batch:>3}: {runtime} ({threads} thr) / best PyTorch ({torch_threads} thr) = {rate / torch_rate:.2f}x"
        same = best.get((torch_name, threads, batch))
        if same:
            line += f"; / PyTorch at {threads} thr = {rate / same:.2f}x"
        print(line)
PY

threads=$(nproc)
echo "== LOSO wall time per preset (68 folds, $threads thread(s) in $threads worker process(es)) =="
loso_json=$("$python" "$here/loso_time.py" --threads "$threads" --card "$root/models/ahmsa-net.card.json")
echo "$loso_json" > "$out/model-loso-time.json"
"$python" - "$loso_json" <<'PY'
import json, sys
report = json.loads(sys.argv[1])
for name, figures in report["presets"].items():
    line = (f"{name:>6}: {figures['secondsPerStep'] * 1000:8.1f} ms/step x {figures['stepsPerFold']} steps/fold x 68 folds / {report['workers']} workers"
            f" = estimated {figures['estimatedMinutes']:.1f} min")
    if "measuredMinutes" in figures:
        used = figures["measuredWith"]
        line += f"; the card's full LOSO run took {figures['measuredMinutes']:.1f} min ({used['workers']} workers, {used['threads']} threads)"
    print(line)
PY

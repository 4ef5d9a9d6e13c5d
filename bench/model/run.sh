#!/bin/sh
# Model benchmarks: ONNX Runtime vs PyTorch eager inference on the same CPU in the same run, and
# LOSO wall time per preset. Prints figures and ratios; asserts nothing about time.
# usage: bench/model/run.sh [threads (default: all cores)] [seconds per measurement (default 3)]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
threads=${1:-$(nproc)}
seconds=${2:-3}
python=${MER_PYTHON:-/usr/bin/python3}
out=$root/bench/results
mkdir -p "$out"
cd "$root"

echo "== inference, $threads thread(s), batch 1 and 256 (samples/s) =="
torch_json=$("$python" "$here/torch_inference.py" --threads "$threads" --seconds "$seconds")
ort_json=$(node "$here/ort_inference.mjs" --threads "$threads" --seconds "$seconds")
echo "$torch_json" > "$out/model-torch.json"
echo "$ort_json" > "$out/model-ort.json"
"$python" - "$torch_json" "$ort_json" <<'PY'
import json, sys
torch_result, ort_result = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'batch':>6} {torch_result['runtime']:>28} {ort_result['runtime']:>32} {'ORT / PyTorch':>14}")
for batch, torch_rate in torch_result["samplesPerSecond"].items():
    ort_rate = ort_result["samplesPerSecond"][batch]
    print(f"{batch:>6} {torch_rate:>28.1f} {ort_rate:>32.1f} {ort_rate / torch_rate:>13.2f}x")
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

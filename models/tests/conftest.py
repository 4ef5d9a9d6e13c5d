"""Shared fixtures: where the 3db data is, and a runner for onnxruntime-node."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ORT_SCRIPT = Path(__file__).with_name("ort_run.mjs")
sys.path.insert(0, str(REPO_ROOT))


def write_labelled_maps(folder: Path, labels_by_subject: dict[str, list[int]],
                        dataset_of: Callable[[str], str] | None = None) -> tuple[Path, Path]:
    """Random maps with a class-dependent pattern (a bright square in the label's channel) under
    folder/maps, and their labels CSV (with a dataset column when `dataset_of` is given)."""
    maps = folder / "maps"
    maps.mkdir()
    rng = np.random.default_rng(0)
    rows = ["subject,file,label" + (",dataset" if dataset_of else "")]
    for subject, labels in labels_by_subject.items():
        for index, label in enumerate(labels):
            flow = rng.normal(size=(3, 28, 28)).astype(np.float32)
            flow[label, 10:18, 10:18] += 3.0
            np.save(maps / f"{subject}{index}.npy", flow)
            rows.append(f"{subject},{subject}{index},{label}" + (f",{dataset_of(subject)}" if dataset_of else ""))
    labels_file = folder / "labels.csv"
    labels_file.write_text("\n".join(rows) + "\n")
    return maps, labels_file


def shared_data_dir() -> Path:
    return Path(os.environ.get("MER_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def composite_3db() -> Path:
    folder = shared_data_dir() / "3db"
    if not (folder / "labels.csv").is_file() or not (folder / "flow").is_dir():
        pytest.skip(f"3db data not found at {folder} (set MER_SHARED_DATA to the shared data folder)")
    return folder


def ort_unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH: onnxruntime parity checks need Node.js"
    if not (REPO_ROOT / "node_modules" / "onnxruntime-node" / "package.json").is_file():
        return "onnxruntime-node is not installed in node_modules (npm install)"
    return None


def run_ort(model_path: Path, inputs: np.ndarray, work_dir: Path, describe: bool = False) -> tuple[np.ndarray, str]:
    """Runs the model in onnxruntime-node; returns its output (and the --describe JSON line)."""
    reason = ort_unavailable_reason()
    if reason:
        pytest.skip(reason)
    input_path, output_path = work_dir / "input.f32", work_dir / "output.f32"
    np.ascontiguousarray(inputs, dtype=np.float32).tofile(input_path)
    command = ["node", str(ORT_SCRIPT), str(model_path), str(input_path), str(len(inputs)), str(output_path)]
    if describe:
        command.append("--describe")
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, f"onnxruntime-node failed: {finished.stderr}"
    return np.fromfile(output_path, dtype=np.float32).reshape(len(inputs), -1), finished.stdout

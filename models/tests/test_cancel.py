"""Cancelling a LOSO run with worker processes: SIGTERM (what mer-studio train sends) stops every worker."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, write_labelled_maps

SUBJECTS = "abcdef"


@pytest.fixture()
def six_subjects(tmp_path: Path) -> tuple[Path, Path]:
    return write_labelled_maps(tmp_path, {subject: [index % 3 for index in range(6)] for subject in SUBJECTS})


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{pid}$", status, re.MULTILINE):
                found.append(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return re.search(r"^State:\s+Z", status, re.MULTILINE) is None  # a zombie has stopped


def wait_until_stopped(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(is_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if is_running(pid)]


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc to find the worker processes")
def test_sigterm_stops_every_worker_and_keeps_the_finished_folds(six_subjects, tmp_path: Path) -> None:
    maps, labels = six_subjects
    out = tmp_path / "run"
    command = [sys.executable, "-m", "models.ahmsa.train", "--flow-maps", str(maps), "--labels", str(labels),
               "--loso", "--preset", "tiny", "--epochs", "400", "--out", str(out), "--threads", "2",
               "--workers", "2", "--progress"]
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    trainer = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        for line in trainer.stdout:
            if json.loads(line)["event"] == "fold":
                break
        workers = children_of(trainer.pid)
        assert len(workers) >= 2, "the two fold workers should be running"
        trainer.send_signal(signal.SIGTERM)
        trainer.wait(timeout=120)
        assert wait_until_stopped(workers, 15) == [], "worker processes outlived the cancelled trainer"
        _, stderr = trainer.communicate(timeout=60)  # the workers held the pipes too: read them last
    finally:
        for pid in [trainer.pid, *workers]:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
    assert trainer.returncode == 130
    assert "Traceback" not in stderr
    cancelled = stderr.strip().splitlines()[-1]
    kept = int(re.fullmatch(r"cancelled: (\d+) of 6 folds finished are kept in .* \(rerun with --resume\)",
                            cancelled).group(1))
    fold_files = sorted((out / "folds").glob("*.json"))
    assert 1 <= kept == len(fold_files) < 6
    assert all(json.loads(path.read_text())["probabilities"] for path in fold_files)  # whole files only

"""LOSO training and whole-set training of AHMSA-Net.

  /usr/bin/python3 -m models.ahmsa.train --flow-maps DIR --labels CSV --loso --preset cpu --out DIR
      [--json] [--progress] [--threads N] [--workers W] [--seed S] [--folds s1,s2] [--resume]

Without --loso, one model (ensemble) is trained on every labelled map and saved as OUT/model.pt.
Progress goes to stderr as text; with --progress (or --json) one JSON line per event goes to stdout
({"event": "start" | "epoch" | "fold" | "warning" | "units" | "error" | "cancelled" | "summary", ...});
with --json the last stdout line is the summary. The text summary goes to stderr unless --progress
is given (its caller prints its own). Ctrl-C or SIGTERM stops every worker and exits with 130;
finished folds stay in OUT/folds for --resume. Exit 2: bad arguments; 3: bad maps or labels.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch

from .audit import epoch_selection_audit
from .checkpoint import save_checkpoint
from .data import (CLASS_NAMES, NUM_CLASSES, DataError, FlowDataset, UnitTargets, load_dataset, load_unit_labels,
                   map_digest)
from .folds import Folds, fold_path, person_folds
from .metrics import summarise
from .network import ProbabilityModel
from .presets import PRESETS, Preset, get_preset, with_overrides, with_settings
from .training import predict_probabilities, train_ensemble


@dataclass
class Reporter:
    json_lines: bool

    def event(self, name: str, text: str | None = None, **fields) -> None:
        if self.json_lines:
            sys.stdout.write(json.dumps({"event": name, **fields}) + "\n")
            sys.stdout.flush()
        if text is not None:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()


class ArgumentParser(argparse.ArgumentParser):
    """Errors end with one line starting "error: ", which mer-studio train repeats as its message."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def preset_name(text: str) -> str:
    if text not in PRESETS:
        raise argparse.ArgumentTypeError(f"unknown preset '{text}' (known: {', '.join(sorted(PRESETS))})")
    return text


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = ArgumentParser(prog="python -m models.ahmsa.train", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flow-maps", required=True, type=Path, help="folder of 28×28 maps (PNG or NPY)")
    parser.add_argument("--labels", required=True, type=Path, help="labels CSV (see models/README.md)")
    parser.add_argument("--preset", default="cpu", type=preset_name, help=", ".join(sorted(PRESETS)))
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--loso", action="store_true", help="leave-one-subject-out evaluation")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout, summary last")
    parser.add_argument("--progress", action="store_true", help="JSON progress lines on stdout")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="total CPU threads")
    parser.add_argument("--workers", type=int, default=1, help="folds trained in parallel processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", default=None, help="comma-separated subjects to hold out (default: all)")
    parser.add_argument("--resume", action="store_true", help="skip folds already finished in --out")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's epochs (recorded)")
    parser.add_argument("--ensemble", type=int, default=None, help="override the preset's seed count (recorded)")
    parser.add_argument("--epoch-audit", action="store_true",
                        help="also record every epoch's held-out predictions and write audit.json: how much "
                             "test-set epoch selection would inflate the result (predictions stay final-epoch)")
    parser.add_argument("--unit-labels", type=Path, action="append", default=[],
                        help="CSV of action units per clip (dataset, subject, clip, aus; mer-studio import "
                             "--units-csv writes it), repeatable: an auxiliary task (training.unit_loss_weight)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override one preset field, e.g. training.mixup_alpha=0.2 (recorded; for exploration)")
    arguments = parser.parse_args(argv)
    if arguments.threads < 1 or arguments.workers < 1:
        parser.error("--threads and --workers must be at least 1")
    if arguments.epoch_audit and not arguments.loso:
        parser.error("--epoch-audit needs --loso (it scores every epoch on the held-out subjects)")
    return arguments


def run_configuration(arguments: argparse.Namespace, preset: Preset, digest: str) -> dict:
    return {"preset": preset.to_dict(), "seed": arguments.seed, "epochAudit": arguments.epoch_audit,
            "flowMaps": str(arguments.flow_maps), "labels": str(arguments.labels),
            "unitLabels": [str(path) for path in arguments.unit_labels], "inputDigest": digest}


def input_digest(dataset: FlowDataset, folds: Folds, unit_label_paths: list[Path]) -> str:
    """SHA-256 of what the run trains on: every map's name and values, label, subject, fold, source
    dataset and clip, in order (fold files index maps by position), and the unit-label files."""
    digest = hashlib.sha256()
    rows = zip(dataset.names, dataset.labels.tolist(), dataset.subjects, folds.of_map, dataset.datasets, dataset.clips)
    digest.update(json.dumps(list(rows)).encode())
    digest.update(np.ascontiguousarray(dataset.maps, dtype=np.float32).tobytes())
    for path in unit_label_paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def configuration_fingerprint(configuration: dict) -> str:
    return hashlib.sha256(json.dumps(configuration, sort_keys=True).encode()).hexdigest()[:16]


def check_resumable(config_file: Path, configuration: dict) -> None:
    """Refuses --resume when the folder's run had other settings, or other maps or labels."""
    if not config_file.exists():
        return
    try:
        previous = json.loads(config_file.read_text())
    except (OSError, ValueError) as error:
        raise DataError(f"{config_file}: --resume, but the run's settings cannot be read ({error}); "
                        "use a new --out folder") from None
    differing = sorted(key for key in set(previous) | set(configuration)
                       if key != "inputDigest" and previous.get(key) != configuration.get(key))
    if differing:
        raise DataError(f"{config_file}: --resume with different settings ({', '.join(differing)}); "
                        "use a new --out folder")
    if "inputDigest" not in previous:
        raise DataError(f"{config_file}: --resume of a run that did not record its maps and labels, so its "
                        "folds cannot be checked against them; use a new --out folder")
    if previous["inputDigest"] != configuration["inputDigest"]:
        raise DataError(f"{config_file}: --resume, but the maps or labels changed since this run started; "
                        "use a new --out folder")


@dataclass
class FoldTask:
    """Everything one fold's training needs, sent whole to a worker process."""
    maps: np.ndarray
    labels: np.ndarray
    fold_of_map: list[str]
    names: list[str]
    held_out: str
    preset: Preset
    seed: int
    threads: int
    json_lines: bool
    out: Path
    fingerprint: str
    epoch_audit: bool = False
    units: UnitTargets | None = None


def train_fold(task: FoldTask) -> dict:
    """One LOSO fold: train on every other person, predict the held-out one, save the result."""
    torch.set_num_threads(task.threads)
    reporter = Reporter(task.json_lines)
    held_out = task.held_out
    train_mask = np.asarray(task.fold_of_map) != held_out
    held_out_maps = task.maps[~train_mask]
    started = time.time()

    def on_epoch(event: dict) -> None:
        reporter.event("epoch", None, subject=held_out, **event)

    by_member: dict[int, list[np.ndarray]] = {}

    def record_epoch(member: int, epoch: int, snapshot: torch.nn.Module) -> None:
        predictor = ProbabilityModel([snapshot], task.preset.training.mirror_average)
        by_member.setdefault(member, []).append(predict_probabilities(predictor, held_out_maps))

    model = train_ensemble(task.maps[train_mask], task.labels[train_mask], task.preset, task.seed, on_epoch,
                           record_epoch if task.epoch_audit else None,
                           task.units.subset(train_mask) if task.units else None)
    probabilities = predict_probabilities(model, held_out_maps)
    seconds = time.time() - started
    # The other mirror-averaging choice is stored too, for recipe studies on a tuning subset only;
    # pooled metrics always use `probabilities`, i.e. the preset's choice.
    model.mirror_average = not model.mirror_average
    alternative = predict_probabilities(model, held_out_maps)
    indices = np.flatnonzero(~train_mask)
    result = {"subject": held_out, "run": task.fingerprint, "indices": indices.tolist(),
              "names": [task.names[i] for i in indices], "probabilities": probabilities.tolist(),
              "seconds": seconds, "probabilitiesOtherMirrorAverage": alternative.tolist()}
    if task.epoch_audit:  # [epochs, samples, 3], the ensemble's mean as the final prediction averages it
        result["epochProbabilities"] = np.mean([by_member[m] for m in sorted(by_member)], axis=0).tolist()
    write_fold(fold_path(task.out, held_out), result)
    return result


def write_fold(path: Path, result: dict) -> None:
    """Written whole or not at all: a cancelled run never leaves a half-written fold file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result))
    temporary.replace(path)


def finished_fold(path: Path, fingerprint: str) -> dict | None:
    """The fold's saved result if this run (same settings, maps and labels) wrote it."""
    if not path.is_file():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # cut short (e.g. a full disk): trained again
    return result if isinstance(result, dict) and result.get("run") == fingerprint else None


def warn_about_merged_spellings(folds: Folds, reporter: Reporter) -> None:
    merged = folds.merged()
    if not merged:
        return
    listed = "; ".join(" = ".join(spellings) for spellings in merged.values())
    without_dataset = any(folds.keys[name][0] == "all" for name in merged)
    remedy = "add a dataset column (dataset|db) to the labels" if without_dataset else "number them differently"
    reporter.event("warning", f"warning: subjects written several ways are held out together, one fold per person: "
                   f"{listed}. If they are different people, {remedy}", kind="merged-subjects", folds=merged)


def warn_about_classes(dataset: FlowDataset, folds: Folds, selected: list[str], reporter: Reporter) -> None:
    fold_of_map = np.asarray(folds.of_map)
    single = [f for f in selected if len(set(dataset.labels[fold_of_map == f].tolist())) == 1]
    if single:
        reporter.event("warning", f"warning: {len(single)} held-out subject(s) have one class only "
                       f"(still predicted; they count in the pooled metrics): {', '.join(single)}",
                       kind="single-class-subjects", subjects=single)
    missing: dict[str, list[str]] = {}
    for fold in selected:
        present = set(dataset.labels[fold_of_map != fold].tolist())
        absent = [CLASS_NAMES[c] for c in range(NUM_CLASSES) if c not in present]
        if absent:
            missing[fold] = absent
    if missing:
        listed = ", ".join(f"{fold} (no {' or '.join(absent)})" for fold, absent in missing.items())
        reporter.event("warning", f"warning: the training set lacks a class when {len(missing)} subject(s) are "
                       f"held out: {listed}", kind="missing-class", subjects=list(missing), missing=missing)


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C or SIGTERM); the message says what is kept."""


def run_loso(arguments: argparse.Namespace, dataset: FlowDataset, preset: Preset, reporter: Reporter,
             units: UnitTargets | None) -> dict:
    out: Path = arguments.out
    folds = person_folds(dataset)
    if len(folds.order) < 2:
        raise DataError(f"{arguments.labels}: LOSO needs maps of at least two subjects; every labelled map is "
                        f"subject {folds.order[0]}'s (train without --loso to use them all)")
    selected = folds.select(arguments.folds) if arguments.folds else folds.order
    configuration = run_configuration(arguments, preset, input_digest(dataset, folds, arguments.unit_labels))
    config_file = out / "config.json"
    if arguments.resume:
        check_resumable(config_file, configuration)
    out.mkdir(parents=True, exist_ok=True)
    config_file.write_text(json.dumps(configuration, indent=2))
    fingerprint = configuration_fingerprint(configuration)
    warn_about_merged_spellings(folds, reporter)
    warn_about_classes(dataset, folds, selected, reporter)

    results: dict[str, dict] = {}
    if arguments.resume:
        results = {fold: result for fold in selected
                   if (result := finished_fold(fold_path(out, fold), fingerprint)) is not None}
    pending = [fold for fold in selected if fold not in results]
    threads_each = max(1, arguments.threads // arguments.workers)
    reporter.event("start", f"LOSO: {len(selected)} folds ({len(results)} already done), preset {preset.name}, "
                   f"{arguments.workers} worker(s) × {threads_each} thread(s)",
                   folds=len(selected), done=len(results), preset=preset.name)
    started = time.time()

    def finished(result: dict) -> None:
        results[result["subject"]] = result
        reporter.event("fold", f"fold {len(results)}/{len(selected)}: subject {result['subject']} "
                       f"({len(result['indices'])} samples) in {result['seconds']:.1f} s",
                       subject=result["subject"], done=len(results), total=len(selected),
                       seconds=result["seconds"])

    tasks = [FoldTask(dataset.maps, dataset.labels, folds.of_map, dataset.names, fold, preset, arguments.seed,
                      threads_each, reporter.json_lines, out, fingerprint, arguments.epoch_audit, units)
             for fold in pending]
    try:
        train_folds(tasks, arguments.workers, finished)
    except KeyboardInterrupt:
        kept = sum(1 for fold in selected
                   if fold in results or finished_fold(fold_path(out, fold), fingerprint) is not None)
        raise Cancelled(f"cancelled: {kept} of {len(selected)} folds finished are kept in {out / 'folds'} "
                        "(rerun with --resume)") from None
    minutes = (time.time() - started) / 60.0
    return pool_results(arguments, dataset, preset, units, selected, len(folds.order), results, minutes)


def train_folds(tasks: list[FoldTask], workers: int, finished: Callable[[dict], None]) -> None:
    """Trains the folds, in `workers` processes when above 1; any interruption stops every worker."""
    if workers == 1:
        for task in tasks:
            finished(train_fold(task))
        return
    pool = get_context("spawn").Pool(workers, initializer=prepare_worker, initargs=(os.getpid(),))
    try:
        for result in pool.imap_unordered(train_fold, tasks):
            finished(result)
        pool.close()
    except BaseException:
        with signals_ignored():  # a second Ctrl-C must not interrupt the clean-up
            pool.terminate()
            pool.join()
        raise
    pool.join()


def prepare_worker(parent: int) -> None:
    """Ctrl-C reaches the whole process group: the parent alone decides to stop the workers. A worker
    whose parent died without stopping it (SIGKILL) exits too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=exit_when_orphaned, args=(parent,), daemon=True).start()


def exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


@contextmanager
def signals_ignored() -> Iterator[None]:
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def pool_results(arguments: argparse.Namespace, dataset: FlowDataset, preset: Preset, units: UnitTargets | None,
                 order: list[str], fold_count: int, results: dict[str, dict], minutes: float) -> dict:
    out: Path = arguments.out
    indices = np.concatenate([np.asarray(results[s]["indices"], dtype=np.int64) for s in order])
    probabilities = np.concatenate([np.asarray(results[s]["probabilities"], dtype=np.float32) for s in order])
    predicted = probabilities.argmax(axis=1)
    truth = dataset.labels[indices]
    datasets = [dataset.datasets[i] for i in indices]
    write_predictions(out / "predictions.csv", dataset, indices, probabilities)
    metrics = summarise(truth, predicted, datasets)
    metrics.update({
        "folds": len(order), "subset": len(order) != fold_count, "preset": preset.to_dict(),
        "seed": arguments.seed, "minutesThisRun": minutes,
        "foldMinutesSum": sum(results[s]["seconds"] for s in order) / 60.0,
        "threads": arguments.threads, "workers": arguments.workers,
        "command": " ".join([sys.executable, "-m", "models.ahmsa.train", *arguments.raw_argv]),
        "classes": list(CLASS_NAMES), "stopping": "final epoch of a fixed schedule",
        "unitLabels": [str(path) for path in arguments.unit_labels],
        "unitCodedMaps": int(units.coded.sum()) if units is not None else 0,
    })
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if arguments.epoch_audit:
        audit = epoch_selection_audit(truth, datasets, [np.asarray(results[s]["epochProbabilities"]) for s in order])
        (out / "audit.json").write_text(json.dumps(audit, indent=2))
        metrics = {**metrics, "audit": {key: audit[key] for key in ("note", "bestEpochForAll", "bestEpochPerSubject")}}
    return metrics


def write_predictions(path: Path, dataset: FlowDataset, indices: np.ndarray, probabilities: np.ndarray) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "subject", "dataset", "label", "predicted", *[f"p_{n}" for n in CLASS_NAMES]])
        for index, row in zip(indices, probabilities):
            writer.writerow([dataset.names[index], dataset.subjects[index], dataset.datasets[index],
                             int(dataset.labels[index]), int(row.argmax()), *[f"{p:.6f}" for p in row]])


def run_all(arguments: argparse.Namespace, dataset: FlowDataset, preset: Preset, reporter: Reporter,
            units: UnitTargets | None) -> dict:
    torch.set_num_threads(arguments.threads)
    started = time.time()
    reporter.event("start", f"training on all {len(dataset)} maps, preset {preset.name}", samples=len(dataset))
    model = train_ensemble(dataset.maps, dataset.labels, preset, arguments.seed,
                           lambda e: reporter.event("epoch", f"epoch {e['epoch']}/{e['epochs']} loss {e['loss']:.4f}", **e),
                           units=units)
    minutes = (time.time() - started) / 60.0
    path = arguments.out / "model.pt"
    save_checkpoint(path, model, preset, {"seed": arguments.seed, "samples": len(dataset),
                                          "unitCodedMaps": int(units.coded.sum()) if units is not None else 0,
                                          "subjects": len(person_folds(dataset).order),
                                          "datasets": sorted(set(dataset.datasets)), "minutes": minutes,
                                          "mapDigests": sorted({map_digest(m) for m in dataset.maps})})
    return {"checkpoint": str(path), "samples": len(dataset), "minutes": minutes, "preset": preset.to_dict()}


def check_unit_task(arguments: argparse.Namespace, preset: Preset) -> None:
    training = preset.training
    if arguments.unit_labels and training.unit_loss_weight <= 0:
        raise ValueError("--unit-labels is only used with training.unit_loss_weight > 0 "
                         "(e.g. --set training.unit_loss_weight=0.5)")
    if arguments.unit_labels and training.mixup_alpha > 0:
        raise ValueError("action-unit targets cannot be mixed: mixup_alpha must be 0 with --unit-labels")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    arguments.raw_argv = list(sys.argv[1:] if argv is None else argv)
    reporter = Reporter(arguments.json or arguments.progress)
    preset = with_overrides(get_preset(arguments.preset), arguments.epochs, arguments.ensemble)
    try:
        preset = with_settings(preset, arguments.set)
        check_unit_task(arguments, preset)
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    previous_handler = signal.signal(signal.SIGTERM, interrupt)
    try:
        summary = load_and_train(arguments, preset, reporter)
    except DataError as error:
        reporter.event("error", f"error: {error}", message=str(error))
        return 3
    except (Cancelled, KeyboardInterrupt) as cancelled:
        message = str(cancelled) if isinstance(cancelled, Cancelled) else (
            "cancelled" if arguments.loso else "cancelled: no model was saved")
        reporter.event("cancelled", message, message=message)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    if not arguments.progress:  # with --progress the caller (mer-studio train) prints its own summary
        sys.stderr.write(summary_text(summary) + "\n")
    if arguments.json or arguments.progress:
        reporter.event("summary", None, **summary)
    return 0


def interrupt(signal_number: int, frame) -> None:
    """SIGTERM (a cancelled mer-studio train) stops the run as Ctrl-C does."""
    raise KeyboardInterrupt


def load_and_train(arguments: argparse.Namespace, preset: Preset, reporter: Reporter) -> dict:
    dataset = load_dataset(arguments.flow_maps, arguments.labels,
                           warn=lambda text: reporter.event("warning", text, message=text))
    units = load_unit_labels(arguments.unit_labels, dataset) if arguments.unit_labels else None
    if units is None and preset.training.unit_loss_weight > 0:
        reporter.event("warning", "warning: no --unit-labels: the action-unit task of this preset is off "
                       "(mer-studio import <coding sheet> --units-csv F writes them)", kind="no-unit-labels")
    elif units is not None:
        reporter.event("units", f"action units: {int(units.coded.sum())} of {len(dataset)} maps coded",
                       codedMaps=int(units.coded.sum()), units=units.units)
    return (run_loso if arguments.loso else run_all)(arguments, dataset, preset, reporter, units)


def summary_text(summary: dict) -> str:
    if "uf1" not in summary:
        return f"model saved: {summary['checkpoint']} ({summary['samples']} maps, {summary['minutes']:.1f} min)"
    lines = [f"UF1 {summary['uf1']:.4f}  UAR {summary['uar']:.4f}  ({summary['samples']} samples, "
             f"{summary['folds']} folds, {summary['minutesThisRun']:.1f} min)"]
    lines += [f"  {name}: UF1 {part['uf1']:.4f}  UAR {part['uar']:.4f}  ({part['samples']})"
              for name, part in summary["perDataset"].items()]
    if "audit" in summary:
        for_all, per_subject = summary["audit"]["bestEpochForAll"], summary["audit"]["bestEpochPerSubject"]
        lines += ["epoch audit (test-set selection, NOT an estimate; see audit.json):",
                  f"  one epoch for all ({for_all['epoch']}): UF1 {for_all['uf1']:.4f}  UAR {for_all['uar']:.4f}",
                  f"  best epoch per subject: UF1 {per_subject['uf1']:.4f}  UAR {per_subject['uar']:.4f}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""LOSO training and whole-set training of AHMSA-Net.

  /usr/bin/python3 -m models.ahmsa.train --flow-maps DIR --labels CSV --loso --preset cpu --out DIR
      [--json] [--progress] [--threads N] [--workers W] [--seed S] [--folds s1,s2] [--resume]

Without --loso, one model (ensemble) is trained on every labelled map and saved as OUT/model.pt.
Progress goes to stderr as text; with --progress (or --json) one JSON line per event goes to stdout
({"event": "start" | "fold-start" | "epoch" | "fold" | "warning" | "summary", ...}); with --json the
last stdout line is the summary.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch

from .audit import epoch_selection_audit
from .checkpoint import save_checkpoint
from .data import (CLASS_NAMES, NUM_CLASSES, DataError, FlowDataset, UnitTargets, load_dataset, load_unit_labels,
                   map_digest)
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


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m models.ahmsa.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flow-maps", required=True, type=Path, help="folder of 28×28 maps (PNG or NPY)")
    parser.add_argument("--labels", required=True, type=Path, help="labels CSV (see models/README.md)")
    parser.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
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


def run_configuration(arguments: argparse.Namespace, preset: Preset) -> dict:
    return {"preset": preset.to_dict(), "seed": arguments.seed, "epochAudit": arguments.epoch_audit,
            "flowMaps": str(arguments.flow_maps), "labels": str(arguments.labels),
            "unitLabels": [str(path) for path in arguments.unit_labels]}


def fold_path(out: Path, subject: str) -> Path:
    return out / "folds" / f"{subject}.json"


def train_fold(maps: np.ndarray, labels: np.ndarray, subjects: list[str], held_out: str, preset: Preset,
               seed: int, threads: int, json_lines: bool, out: Path, epoch_audit: bool = False,
               units: UnitTargets | None = None) -> dict:
    """One LOSO fold: train on every other subject, predict the held-out one, save the result."""
    torch.set_num_threads(threads)
    reporter = Reporter(json_lines)
    subject_array = np.asarray(subjects)
    train_mask = subject_array != held_out
    held_out_maps = maps[~train_mask]
    started = time.time()

    def on_epoch(event: dict) -> None:
        reporter.event("epoch", None, subject=held_out, **event)

    by_member: dict[int, list[np.ndarray]] = {}

    def record_epoch(member: int, epoch: int, snapshot: torch.nn.Module) -> None:
        predictor = ProbabilityModel([snapshot], preset.training.mirror_average)
        by_member.setdefault(member, []).append(predict_probabilities(predictor, held_out_maps))

    model = train_ensemble(maps[train_mask], labels[train_mask], preset, seed, on_epoch,
                           record_epoch if epoch_audit else None, units.subset(train_mask) if units else None)
    probabilities = predict_probabilities(model, held_out_maps)
    seconds = time.time() - started
    # The other mirror-averaging choice is stored too, for recipe studies on a tuning subset only;
    # pooled metrics always use `probabilities`, i.e. the preset's choice.
    model.mirror_average = not model.mirror_average
    alternative = predict_probabilities(model, maps[~train_mask])
    result = {"subject": held_out, "indices": np.flatnonzero(~train_mask).tolist(),
              "probabilities": probabilities.tolist(), "seconds": seconds,
              "probabilitiesOtherMirrorAverage": alternative.tolist()}
    if epoch_audit:  # [epochs, samples, 3], the ensemble's mean as the final prediction averages it
        result["epochProbabilities"] = np.mean([by_member[m] for m in sorted(by_member)], axis=0).tolist()
    path = fold_path(out, held_out)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result))
    temporary.replace(path)
    return result


def warn_about_classes(dataset: FlowDataset, folds: list[str], reporter: Reporter) -> None:
    single = [s for s in folds if len(set(dataset.labels[np.asarray(dataset.subjects) == s].tolist())) == 1]
    if single:
        reporter.event("warning", f"warning: {len(single)} held-out subject(s) have one class only "
                       f"(still predicted; they count in the pooled metrics): {', '.join(single)}",
                       kind="single-class-subjects", subjects=single)
    for subject in folds:
        present = set(dataset.labels[np.asarray(dataset.subjects) != subject].tolist())
        missing = [CLASS_NAMES[c] for c in range(NUM_CLASSES) if c not in present]
        if missing:
            reporter.event("warning", f"warning: without subject {subject} the training set has no "
                           f"{', '.join(missing)} samples", kind="missing-class", subject=subject)


def run_loso(arguments: argparse.Namespace, dataset: FlowDataset, preset: Preset, reporter: Reporter,
             units: UnitTargets | None) -> dict:
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    configuration = run_configuration(arguments, preset)
    config_file = out / "config.json"
    if config_file.exists() and arguments.resume:
        previous = json.loads(config_file.read_text())
        if previous != configuration:
            raise DataError(f"{config_file}: --resume with different settings; use a new --out folder")
    config_file.write_text(json.dumps(configuration, indent=2))

    all_subjects = dataset.subject_order()
    if len(all_subjects) < 2:
        raise DataError(f"{arguments.labels}: LOSO needs maps of at least two subjects; every labelled map is "
                        f"subject {all_subjects[0]}'s (train without --loso to use them all)")
    if arguments.folds:
        folds = [s.strip() for s in arguments.folds.split(",") if s.strip()]
        unknown = [s for s in folds if s not in all_subjects]
        if unknown:
            raise DataError(f"--folds: unknown subject(s) {', '.join(unknown)}")
    else:
        folds = all_subjects
    warn_about_classes(dataset, folds, reporter)

    results: dict[str, dict] = {}
    pending: list[str] = []
    for subject in folds:
        path = fold_path(out, subject)
        if arguments.resume and path.exists():
            results[subject] = json.loads(path.read_text())
        else:
            pending.append(subject)
    reporter.event("start", f"LOSO: {len(folds)} folds ({len(results)} already done), preset {preset.name}, "
                   f"{arguments.workers} worker(s) × {max(1, arguments.threads // arguments.workers)} thread(s)",
                   folds=len(folds), done=len(results), preset=preset.name)
    started = time.time()
    threads_each = max(1, arguments.threads // arguments.workers)
    common = (dataset.maps, dataset.labels, dataset.subjects)

    def finished(result: dict) -> None:
        results[result["subject"]] = result
        reporter.event("fold", f"fold {len(results)}/{len(folds)}: subject {result['subject']} "
                       f"({len(result['indices'])} samples) in {result['seconds']:.1f} s",
                       subject=result["subject"], done=len(results), total=len(folds),
                       seconds=result["seconds"])

    if arguments.workers == 1:
        for subject in pending:
            finished(train_fold(*common, subject, preset, arguments.seed, threads_each, reporter.json_lines, out,
                                arguments.epoch_audit, units))
    else:
        with ProcessPoolExecutor(arguments.workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(train_fold, *common, subject, preset, arguments.seed, threads_each,
                                   reporter.json_lines, out, arguments.epoch_audit, units) for subject in pending]
            for future in as_completed(futures):
                finished(future.result())
    minutes = (time.time() - started) / 60.0

    order = list(folds)
    indices = np.concatenate([np.asarray(results[s]["indices"], dtype=np.int64) for s in order])
    probabilities = np.concatenate([np.asarray(results[s]["probabilities"], dtype=np.float32) for s in order])
    predicted = probabilities.argmax(axis=1)
    truth = dataset.labels[indices]
    datasets = [dataset.datasets[i] for i in indices]
    write_predictions(out / "predictions.csv", dataset, indices, probabilities)
    metrics = summarise(truth, predicted, datasets)
    metrics.update({
        "folds": len(folds), "subset": len(folds) != len(all_subjects), "preset": preset.to_dict(),
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
                                          "subjects": len(dataset.subject_order()),
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
    try:
        dataset = load_dataset(arguments.flow_maps, arguments.labels,
                               warn=lambda text: reporter.event("warning", text, message=text))
        units = load_unit_labels(arguments.unit_labels, dataset) if arguments.unit_labels else None
        if units is None and preset.training.unit_loss_weight > 0:
            reporter.event("warning", "warning: no --unit-labels: the action-unit task of this preset is off "
                           "(mer-studio import <coding sheet> --units-csv F writes them)", kind="no-unit-labels")
        elif units is not None:
            reporter.event("units", f"action units: {int(units.coded.sum())} of {len(dataset)} maps coded",
                           codedMaps=int(units.coded.sum()), units=units.units)
        summary = (run_loso if arguments.loso else run_all)(arguments, dataset, preset, reporter, units)
    except DataError as error:
        reporter.event("error", f"error: {error}", message=str(error))
        return 3
    if arguments.loso:
        lines = [f"UF1 {summary['uf1']:.4f}  UAR {summary['uar']:.4f}  ({summary['samples']} samples, "
                 f"{summary['folds']} folds, {summary['minutesThisRun']:.1f} min)"]
        lines += [f"  {name}: UF1 {part['uf1']:.4f}  UAR {part['uar']:.4f}  ({part['samples']})"
                  for name, part in summary["perDataset"].items()]
        if "audit" in summary:
            for_all, per_subject = summary["audit"]["bestEpochForAll"], summary["audit"]["bestEpochPerSubject"]
            lines += ["epoch audit (test-set selection, NOT an estimate; see audit.json):",
                      f"  one epoch for all ({for_all['epoch']}): UF1 {for_all['uf1']:.4f}  UAR {for_all['uar']:.4f}",
                      f"  best epoch per subject: UF1 {per_subject['uf1']:.4f}  UAR {per_subject['uar']:.4f}"]
        sys.stderr.write("\n".join(lines) + "\n")
    if arguments.json or arguments.progress:
        reporter.event("summary", None, **summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end LOSO on a tiny synthetic set with the `tiny` preset (seconds, not minutes)."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from models.ahmsa import train

from .conftest import write_labelled_maps

SUBJECTS = {"a": [0, 1, 2, 0], "b": [1, 2, 0, 1], "c": [2, 2, 2]}  # subject c has one class only


@pytest.fixture()
def tiny_set(tmp_path: Path) -> tuple[Path, Path]:
    return write_labelled_maps(tmp_path, SUBJECTS, lambda subject: "one" if subject != "c" else "two")


def run(maps: Path, labels: Path, out: Path, *extra: str) -> int:
    return train.main(["--flow-maps", str(maps), "--labels", str(labels), "--loso", "--preset", "tiny",
                       "--out", str(out), "--threads", "1", "--json", *extra])


def test_loso_writes_pooled_predictions_and_metrics(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out) == 0
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert events[-1]["event"] == "summary"
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["a", "b", "c"]
    assert any(e["event"] == "warning" and e.get("subjects") == ["c"] for e in events)
    assert "one class only" in captured.err
    with (out / "predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 11 and {row["subject"] for row in rows} == {"a", "b", "c"}
    for row in rows:
        probabilities = [float(row[f"p_{name}"]) for name in ("negative", "positive", "surprise")]
        assert abs(sum(probabilities) - 1) < 1e-4
        assert int(row["predicted"]) == int(np.argmax(probabilities))
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["perDataset"]) == {"one", "two"}
    assert np.asarray(metrics["confusion"]).sum() == 11
    assert metrics["stopping"] == "final epoch of a fixed schedule"


def test_resume_skips_finished_folds_and_is_seeded(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out, "--folds", "a,b") == 0
    first = json.loads((out / "folds" / "a.json").read_text())
    capsys.readouterr()
    assert run(maps, labels, out, "--resume") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["c"]
    assert events[0]["event"] == "warning" or any(e["event"] == "start" and e["done"] == 2 for e in events)
    # the same seed gives the same model: retrain fold a from scratch elsewhere
    assert run(maps, labels, tmp_path / "again", "--folds", "a") == 0
    again = json.loads((tmp_path / "again" / "folds" / "a.json").read_text())
    assert np.allclose(first["probabilities"], again["probabilities"], atol=1e-6)


def test_resume_with_other_settings_is_refused(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out, "--folds", "a") == 0
    capsys.readouterr()
    assert run(maps, labels, out, "--folds", "a", "--resume", "--seed", "7") == 3
    assert "different settings (seed)" in capsys.readouterr().err


def test_resume_over_damaged_files_says_so_or_retrains(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out, "--folds", "a,b") == 0
    fold = out / "folds" / "a.json"
    fold.write_text(fold.read_text()[:40])  # cut short, as on a full disk
    capsys.readouterr()
    assert run(maps, labels, out, "--folds", "a,b", "--resume") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["a"]
    (out / "config.json").write_text("{not json")
    assert run(maps, labels, out, "--folds", "a,b", "--resume") == 3
    err = capsys.readouterr().err
    assert "settings cannot be read" in err and "Traceback" not in err


def test_unknown_fold_subject_and_bad_maps_exit_3(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    assert run(maps, labels, tmp_path / "x", "--folds", "zz") == 3
    np.save(maps / "a0.npy", np.zeros((28, 28), np.float32))
    assert run(maps, labels, tmp_path / "y") == 3
    assert "a0.npy" in capsys.readouterr().err


def test_loso_with_one_subject_is_refused_clearly(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    labels.write_text("subject,file,label\na,a0,0\na,a1,1\n")
    assert run(maps, labels, tmp_path / "x") == 3
    assert "LOSO needs maps of at least two subjects" in capsys.readouterr().err


def test_training_on_all_maps_saves_a_loadable_checkpoint(tiny_set, tmp_path: Path) -> None:
    from models.ahmsa.checkpoint import load_checkpoint
    from models.ahmsa.data import load_map, map_digest

    maps, labels = tiny_set
    out = tmp_path / "all"
    assert train.main(["--flow-maps", str(maps), "--labels", str(labels), "--preset", "tiny",
                       "--out", str(out), "--threads", "1"]) == 0
    model, stored = load_checkpoint(out / "model.pt")
    assert stored["samples"] == 11 and stored["preset"]["name"] == "tiny"
    digests = {map_digest(load_map(path)) for path in maps.glob("*.npy")}
    assert stored["mapDigests"] == sorted(digests) and len(digests) == 11


def test_settings_override_is_recorded_and_bad_ones_refused(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "set"
    assert run(maps, labels, out, "--folds", "a", "--set", "network.width=8", "--set", "training.mirror_average=true") == 0
    configuration = json.loads((out / "config.json").read_text())
    assert configuration["preset"]["network"]["width"] == 8
    assert configuration["preset"]["training"]["mirror_average"] is True
    assert run(maps, labels, tmp_path / "bad", "--set", "training.no_such_field=1") == 2
    assert "no_such_field" in capsys.readouterr().err


def test_epoch_audit_records_every_epoch_without_changing_the_predictions(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    assert run(maps, labels, tmp_path / "plain", "--epochs", "3", "--ensemble", "2") == 0
    capsys.readouterr()
    assert run(maps, labels, tmp_path / "audited", "--epochs", "3", "--ensemble", "2", "--epoch-audit") == 0
    captured = capsys.readouterr()
    assert (tmp_path / "plain" / "predictions.csv").read_text() == (tmp_path / "audited" / "predictions.csv").read_text()
    assert "NOT an estimate" in captured.err
    summary = json.loads(captured.out.splitlines()[-1])
    audit = json.loads((tmp_path / "audited" / "audit.json").read_text())
    assert summary["audit"]["bestEpochPerSubject"] == audit["bestEpochPerSubject"]
    assert audit["epochs"] == 3 and len(audit["uf1ByEpoch"]) == 3
    assert audit["finalEpoch"]["confusion"] == summary["confusion"]
    fold = json.loads((tmp_path / "audited" / "folds" / "a.json").read_text())
    # the last recorded epoch is the final prediction (the ensemble's mean)
    assert np.allclose(fold["epochProbabilities"][-1], fold["probabilities"], atol=1e-6)
    assert run(maps, labels, tmp_path / "audited", "--epochs", "3", "--ensemble", "2", "--resume") == 3
    # the model card carries the audit's figures beside the honest ones
    from models.ahmsa.export import loso_section

    card_figures = loso_section(tmp_path / "audited" / "metrics.json")["epochAudit"]
    assert card_figures["bestEpochPerSubject"]["uf1"] == round(audit["bestEpochPerSubject"]["uf1"], 4)
    assert "epochAudit" not in loso_section(tmp_path / "plain" / "metrics.json")
    with pytest.raises(SystemExit) as refused:  # no held-out subjects to score without --loso
        train.main(["--flow-maps", str(maps), "--labels", str(labels), "--preset", "tiny",
                    "--out", str(tmp_path / "all"), "--epoch-audit"])
    assert refused.value.code == 2


def test_mer_studio_train_passes_the_flags_and_prints_the_audit(tiny_set, tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    from .conftest import REPO_ROOT

    if shutil.which("node") is None or not (REPO_ROOT / "out" / "main" / "cli.js").is_file():
        pytest.skip("mer-studio is not built: npm run build")
    maps, labels = tiny_set
    command = ["node", str(REPO_ROOT / "bin" / "mer-studio.js"), "train", "--flow-maps", str(maps),
               "--labels", str(labels), "--loso", "--out", str(tmp_path / "run"), "--threads", "1",
               "--epochs", "2", "--epoch-audit", "--preset"]
    environment = {**os.environ, "MER_PYTHON": sys.executable}
    finished = subprocess.run([*command, "tiny"], capture_output=True, text=True, env=environment, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "best epoch per subject: UF1" in finished.stdout
    assert (tmp_path / "run" / "audit.json").is_file()
    refused = subprocess.run([*command, "nope"], capture_output=True, text=True, env=environment, timeout=300)
    assert refused.returncode == 2 and "nope" in refused.stderr
    units = tmp_path / "units.csv"
    units.write_text("subject,clip,aus\na,a0,12\n")
    passed_on = subprocess.run([*command, "tiny", "--unit-labels", str(units)], capture_output=True, text=True,
                               env=environment, timeout=300)
    assert passed_on.returncode == 2 and "unit_loss_weight" in passed_on.stderr  # tiny learns no units


def test_action_units_as_an_auxiliary_task(tiny_set, tmp_path: Path, capsys) -> None:
    from models.ahmsa.checkpoint import load_checkpoint

    maps, labels = tiny_set
    units = tmp_path / "units.csv"
    units.write_text("subject,clip,aus\n" + "".join(f"{s},{s}{i},{'12' if i % 2 else '1+2'}\n" for s in "ab" for i in range(4)))
    task = ["--unit-labels", str(units), "--set", "training.unit_loss_weight=0.5", "--set", "training.unit_min_count=1"]
    assert run(maps, labels, tmp_path / "plain", "--folds", "c") == 0
    assert run(maps, labels, tmp_path / "units", "--folds", "c", *task) == 0
    plain = json.loads((tmp_path / "plain" / "folds" / "c.json").read_text())["probabilities"]
    with_units = json.loads((tmp_path / "units" / "folds" / "c.json").read_text())["probabilities"]
    assert not np.allclose(plain, with_units, atol=1e-4)  # the second head's loss reached the shared layers
    assert train.main(["--flow-maps", str(maps), "--labels", str(labels), "--preset", "tiny",
                       "--out", str(tmp_path / "all"), "--threads", "1", *task]) == 0
    model, _ = load_checkpoint(tmp_path / "all" / "model.pt")  # a plain classifier: no unit head stored
    assert all(member.unit_head is None for member in model.members)
    capsys.readouterr()
    assert run(maps, labels, tmp_path / "unused", "--unit-labels", str(units)) == 2
    assert "unit_loss_weight" in capsys.readouterr().err


def test_resume_is_refused_when_the_labels_or_maps_changed(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out, "--folds", "a") == 0
    original = labels.read_text()
    labels.write_text("\n".join(line for line in original.splitlines() if not line.startswith("a,a0,")) + "\n")
    capsys.readouterr()
    assert run(maps, labels, out, "--resume") == 3
    assert "the maps or labels changed since this run started; use a new --out folder" in capsys.readouterr().err
    labels.write_text(original)
    flow = np.load(maps / "b1.npy")
    np.save(maps / "b1.npy", flow * 2 + 1)  # same name, other values
    assert run(maps, labels, out, "--resume") == 3
    assert "the maps or labels changed" in capsys.readouterr().err
    np.save(maps / "b1.npy", flow)
    assert run(maps, labels, out, "--resume") == 0  # unchanged again: fold a is reused
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["b", "c"]


def test_a_fold_file_of_another_run_in_the_folder_is_not_reused(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    out = tmp_path / "run"
    assert run(maps, labels, out, "--folds", "a", "--seed", "3") == 0
    assert run(maps, labels, out, "--folds", "b") == 0  # a new run in the same folder (no --resume)
    capsys.readouterr()
    assert run(maps, labels, out, "--resume") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["a", "c"]  # seed 3's fold a is retrained


def test_bad_folds_are_refused_before_anything_is_written(tiny_set, tmp_path: Path) -> None:
    maps, labels = tiny_set
    assert run(maps, labels, tmp_path / "x", "--folds", "a,zz") == 3
    assert not (tmp_path / "x" / "config.json").exists()


def spellings_set(tmp_path: Path, rows: list[tuple[str, str, int]]) -> tuple[Path, Path]:
    maps = tmp_path / "maps"
    maps.mkdir()
    rng = np.random.default_rng(1)
    lines = ["dataset,subject,file,label"]
    for index, (dataset, subject, label) in enumerate(rows):
        flow = rng.normal(size=(3, 28, 28)).astype(np.float32)
        flow[label, 10:18, 10:18] += 3.0
        np.save(maps / f"m{index}.npy", flow)
        lines.append(f"{dataset},{subject},m{index},{label}")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(lines) + "\n")
    return maps, labels


def test_one_person_written_several_ways_is_one_fold(tmp_path: Path, capsys) -> None:
    rows = [("casme2", "sub01", 0), ("casme2", "01", 1), ("casme2", "1", 2), ("casme2", "sub02", 0),
            ("casme2", "2", 1), ("CASME II", "03", 2), ("casme2", "sub03", 0)]
    maps, labels = spellings_set(tmp_path, rows)
    out = tmp_path / "run"
    assert run(maps, labels, out) == 0
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["sub01", "sub02", "03"]
    merged = [e for e in events if e.get("kind") == "merged-subjects"]
    assert len(merged) == 1 and merged[0]["folds"] == {"sub01": ["sub01", "01", "1"], "sub02": ["sub02", "2"],
                                                       "03": ["03", "sub03"]}
    assert captured.err.count("held out together") == 1 and "sub01 = 01 = 1" in captured.err
    with (out / "predictions.csv").open() as handle:  # each row keeps its subject as written
        assert [row["subject"] for row in csv.DictReader(handle)] == [subject for _, subject, _ in rows]
    capsys.readouterr()
    assert run(maps, labels, tmp_path / "picked", "--folds", "1,sub3") == 0  # any spelling names its fold
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["sub01", "03"]


def test_the_same_spelling_in_two_datasets_is_two_folds_named_by_dataset(tmp_path: Path, capsys) -> None:
    rows = [("casme2", "1", 0), ("casme2", "1", 1), ("samm", "1", 2), ("samm", "1", 0), ("smic", "s2", 1)]
    maps, labels = spellings_set(tmp_path, rows)
    out = tmp_path / "run"
    assert run(maps, labels, out) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["subject"] for e in events if e["event"] == "fold"] == ["casme2/1", "samm/1", "s2"]
    assert len(list((out / "folds").glob("*.json"))) == 3
    assert run(maps, labels, tmp_path / "x", "--folds", "1") == 3
    assert "could be casme2/1 (casme2), samm/1 (samm); write <dataset>/<subject>" in capsys.readouterr().err
    assert run(maps, labels, tmp_path / "y", "--folds", "samm/01") == 0


def test_subjects_without_a_dataset_column_that_read_alike_are_merged_with_a_warning(tmp_path: Path, capsys) -> None:
    maps, labels = spellings_set(tmp_path, [("", "sub01", 0), ("", "s01", 1), ("", "sub02", 2), ("", "sub02", 0)])
    labels.write_text("\n".join(line.split(",", 1)[1] for line in labels.read_text().splitlines()) + "\n")
    assert run(maps, labels, tmp_path / "run") == 0
    err = capsys.readouterr().err
    assert "sub01 = s01" in err and "add a dataset column" in err


def test_a_class_missing_from_training_sets_is_one_warning(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    labels.write_text("subject,file,label\na,a0,0\na,a1,1\nb,b0,1\nb,b1,0\nc,c0,2\nc,c1,0\n")
    assert run(maps, labels, tmp_path / "run") == 0
    captured = capsys.readouterr()
    warnings = [e for e in map(json.loads, captured.out.splitlines()) if e.get("kind") == "missing-class"]
    assert len(warnings) == 1 and warnings[0]["subjects"] == ["c"]
    assert captured.err.count("lacks a class") == 1 and "c (no surprise)" in captured.err


def test_the_text_summary_is_left_to_the_caller_with_progress(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    arguments = ["--flow-maps", str(maps), "--labels", str(labels), "--loso", "--preset", "tiny", "--threads", "1",
                 "--folds", "a"]
    assert train.main([*arguments, "--out", str(tmp_path / "p"), "--progress"]) == 0
    captured = capsys.readouterr()
    assert "UF1 " not in captured.err and json.loads(captured.out.splitlines()[-1])["event"] == "summary"
    assert train.main([*arguments, "--out", str(tmp_path / "plain")]) == 0
    assert "UF1 " in capsys.readouterr().err


def test_an_unknown_preset_is_named_with_the_known_ones(tiny_set, tmp_path: Path, capsys) -> None:
    maps, labels = tiny_set
    with pytest.raises(SystemExit) as refused:
        train.main(["--flow-maps", str(maps), "--labels", str(labels), "--out", str(tmp_path), "--preset", "nope"])
    assert refused.value.code == 2
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert last_line == "error: argument --preset: unknown preset 'nope' (known: cpu, paper, tiny)"

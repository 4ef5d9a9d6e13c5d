"""ONNX export: PyTorch and onnxruntime-node agree; the shipped card describes the shipped graph."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.ahmsa.data import load_dataset, map_digest
from models.ahmsa.export import INPUT_NAME, OUTPUT_NAME, export_onnx
from models.ahmsa.network import AHMSANet, NetworkConfig, ProbabilityModel

from .conftest import REPO_ROOT, run_ort

PARITY = 1e-4
SHIPPED_MODEL = REPO_ROOT / "models" / "ahmsa-net.onnx"
SHIPPED_CARD = REPO_ROOT / "models" / "ahmsa-net.card.json"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(0)
    config = NetworkConfig(width=24, heads=3, head_width=8, blocks=(2, 2, 8), head_hidden=16)
    members = [AHMSANet(config) for _ in range(2)]
    for member in members:  # move away from the near-uniform output of a fresh initialisation
        with torch.no_grad():
            for parameter in member.parameters():
                parameter.add_(torch.randn_like(parameter) * 0.05)
    model = ProbabilityModel(members, mirror_average=True).eval()  # exercises every op of the shipped graph
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    export_onnx(model, path)
    return model, path


def torch_probabilities(model: torch.nn.Module, flow: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(flow)).numpy()


@pytest.mark.parametrize("scale", [255.0, 1.5])
def test_parity_on_random_inputs(exported, tmp_path: Path, scale: float) -> None:
    model, path = exported
    flow = (np.random.default_rng(int(scale)).normal(size=(7, 3, 28, 28)) * scale).astype(np.float32)
    expected = torch_probabilities(model, flow)
    assert expected.std() > 1e-3, "outputs too flat for the comparison to mean anything"
    actual, _ = run_ort(path, flow, tmp_path)
    assert np.abs(actual - expected).max() < PARITY


def test_parity_on_real_maps(exported, tmp_path: Path, composite_3db: Path) -> None:
    model, path = exported
    maps = load_dataset(composite_3db / "flow", composite_3db / "labels.csv").maps[::7]
    actual, _ = run_ort(path, maps, tmp_path)
    assert np.abs(actual - torch_probabilities(model, maps)).max() < PARITY


def test_graph_has_dynamic_batch_and_the_contract_names(exported, tmp_path: Path) -> None:
    _, path = exported
    flow = np.random.default_rng(5).random((1, 3, 28, 28), dtype=np.float32)
    probabilities, described = run_ort(path, flow, tmp_path, describe=True)
    info = json.loads(described)
    assert info["inputNames"] == [INPUT_NAME] and info["outputNames"] == [OUTPUT_NAME]
    assert info["outputDims"] == [1, 3]
    assert abs(float(probabilities.sum()) - 1.0) < 1e-5


def test_shipped_card_matches_the_shipped_model(tmp_path: Path) -> None:
    if not SHIPPED_MODEL.is_file():
        pytest.fail(f"{SHIPPED_MODEL} is missing")
    card = json.loads(SHIPPED_CARD.read_text())
    assert card["sha256"] == hashlib.sha256(SHIPPED_MODEL.read_bytes()).hexdigest()
    assert card["id"].endswith(card["sha256"][:8])
    assert SHIPPED_MODEL.stat().st_size <= 20 * 1024 * 1024
    assert card["classes"] == ["negative", "positive", "surprise"]
    assert card["input"]["shape"] == [None, 3, 28, 28] and card["output"]["shape"] == [None, 3]
    assert card["input"]["normalisation"]["inside the graph"] is True
    assert card["output"]["kind"] == "probabilities" and card["opset"] >= 17
    flow = np.random.default_rng(6).random((2, 3, 28, 28), dtype=np.float32)
    _, described = run_ort(SHIPPED_MODEL, flow, tmp_path, describe=True)
    info = json.loads(described)
    assert info["inputNames"] == [card["input"]["name"]] and info["outputNames"] == [card["output"]["name"]]
    assert info["outputDims"] == [2, 3]
    if info.get("inputs") and info["inputs"][0].get("shape"):
        graph_input = info["inputs"][0]["shape"]
        assert graph_input[1:] == card["input"]["shape"][1:] and isinstance(graph_input[0], str)
        assert info["outputs"][0]["shape"][1:] == card["output"]["shape"][1:]


def test_shipped_card_lists_the_maps_it_was_trained_on(composite_3db: Path) -> None:
    card = json.loads(SHIPPED_CARD.read_text())
    dataset = load_dataset(composite_3db / "flow", composite_3db / "labels.csv")
    assert set(card["training"]["mapDigests"]) == {map_digest(m) for m in dataset.maps}
    assert len(card["training"]["mapDigests"]) == card["training"]["samples"] == 442


def export_errors(tmp_path: Path, *arguments: str, capsys) -> tuple[int, str]:
    from models.ahmsa.export import main

    code = main([*arguments, "--out", str(tmp_path / "out" / "model.onnx")])
    return code, capsys.readouterr().err


@pytest.fixture()
def tiny_checkpoint(tmp_path: Path) -> Path:
    from models.ahmsa.checkpoint import save_checkpoint
    from models.ahmsa.presets import TINY

    path = tmp_path / "model.pt"
    save_checkpoint(path, ProbabilityModel([AHMSANet(TINY.network)], False), TINY, {})
    return path


def test_unreadable_inputs_are_one_error_line_and_exit_3(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"garbage\n")
    not_json = tmp_path / "metrics.json"
    not_json.write_text("{uf1")
    cases = [
        (["--checkpoint", str(tmp_path / "missing.pt")], "missing.pt: checkpoint not found"),
        (["--checkpoint", str(garbage)], "garbage.pt: not a checkpoint written by models.ahmsa.train"),
        (["--checkpoint", str(tiny_checkpoint), "--loso-metrics", str(tmp_path / "none.json")],
         "none.json: LOSO metrics not found"),
        (["--checkpoint", str(tiny_checkpoint), "--loso-metrics", str(not_json)], "metrics.json: LOSO metrics is not JSON"),
    ]
    for arguments, message in cases:
        code, err = export_errors(tmp_path, *arguments, capsys=capsys)
        assert code == 3 and len(err.strip().splitlines()) == 1, err
        assert err.startswith("error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_subset_loso_metrics_refuse_the_export_and_say_so(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"subset": True, "folds": 12}))
    code, err = export_errors(tmp_path, "--checkpoint", str(tiny_checkpoint), "--loso-metrics", str(metrics),
                              capsys=capsys)
    assert code == 3
    assert "export refused, nothing written: these LOSO metrics cover a subset of the folds (12)" in err
    assert not (tmp_path / "out").exists()

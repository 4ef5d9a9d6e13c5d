"""ONNX export of a trained checkpoint plus its model card.

  /usr/bin/python3 -m models.ahmsa.export --checkpoint runs/final/model.pt --out models/ahmsa-net.onnx
      [--loso-metrics runs/loso/metrics.json] [--note TEXT]

The graph takes `flow` [N, 3, 28, 28] float32 (u, v, strain; any scale) and returns `probabilities`
[N, 3]: per-sample min-max normalisation is its first op and softmax (averaged over the ensemble's
members) its last.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import pickle
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import torch

from .checkpoint import load_checkpoint
from .data import CLASS_NAMES, MAP_SIZE
from .network import NORMALISE_EPSILON, AHMSANet, count_parameters

OPSET = 17
INPUT_NAME = "flow"
OUTPUT_NAME = "probabilities"
NORMALISATION_TEXT = (
    "per sample and per channel: x' = (x - min(x)) / max(max(x) - min(x), %g) over the 28×28 map, "
    "so every channel spans [0, 1] (a constant channel becomes 0); applied as the first op inside the graph. "
    "The composite's 8-bit PNGs (float 0..255) thus become x/255; float flow in pixels needs no scaling."
    % NORMALISE_EPSILON
)


def export_onnx(model: torch.nn.Module, path: Path) -> None:
    """Exports with every AHMSANet in its token layout (same parameters, same outputs; faster in
    onnxruntime); the model is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    networks = [module for module in model.modules() if isinstance(module, AHMSANet)]
    for network in networks:
        network.token_layout = True
    try:
        _export_in_current_layout(model, path)
    finally:
        for network in networks:
            network.token_layout = False


def _export_in_current_layout(model: torch.nn.Module, path: Path) -> None:
    example = torch.rand(2, 3, MAP_SIZE, MAP_SIZE)
    options: dict = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False  # the TorchScript exporter: stable names and dynamic axes on every release
    temporary = path.with_suffix(".onnx.tmp")
    with warnings.catch_warnings():
        # PyTorch 1.13 warns about shape inference of prim::Constant; the exported shapes are checked in tests.
        warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
        # The single-token attention shortcut branches on a token count that is fixed by the architecture.
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python boolean")
        _export(model, example, temporary, options)
    temporary.replace(path)


def _export(model: torch.nn.Module, example: torch.Tensor, temporary: Path, options: dict) -> None:
    torch.onnx.export(
        model, (example,), str(temporary), opset_version=OPSET, input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        do_constant_folding=True, **options,
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ExportError(ValueError):
    """A checkpoint or metrics file that cannot be exported; the message names the file."""


def read_checkpoint(path: Path) -> tuple[torch.nn.Module, dict]:
    if not path.is_file():
        raise ExportError(f"{path}: checkpoint not found")
    try:
        return load_checkpoint(path)
    except (pickle.UnpicklingError, EOFError, RuntimeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ExportError(f"{path}: not a checkpoint written by models.ahmsa.train ({first_line(error)})") from None


def read_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise ExportError(f"{path}: {what} not found")
    try:
        values = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportError(f"{path}: {what} is not JSON ({first_line(error)})") from None
    if not isinstance(values, dict):
        raise ExportError(f"{path}: {what} is not a JSON object")
    return values


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def loso_section(metrics_path: Path | None) -> dict | None:
    if metrics_path is None:
        return None
    metrics = read_json(metrics_path, "LOSO metrics")
    if metrics.get("subset"):
        raise ExportError(f"{metrics_path}: export refused, nothing written: these LOSO metrics cover a subset of "
                          f"the folds ({metrics.get('folds')}), so they do not estimate the model; run the LOSO on "
                          "every fold, or export without --loso-metrics")
    missing = [key for key in ("uf1", "uar", "perDataset", "confusion", "folds", "samples", "command",
                               "minutesThisRun", "preset") if key not in metrics]
    if missing:
        raise ExportError(f"{metrics_path}: not a metrics.json of a --loso run (no {', '.join(missing)})")
    return {
        "uf1": round(metrics["uf1"], 4),
        "uar": round(metrics["uar"], 4),
        "perDataset": {name: {"uf1": round(part["uf1"], 4), "uar": round(part["uar"], 4), "samples": part["samples"]}
                       for name, part in metrics["perDataset"].items()},
        "confusion": metrics["confusion"],
        "folds": metrics["folds"],
        "samples": metrics["samples"],
        "command": metrics["command"],
        "python": "/usr/bin/python3 (Debian python3-torch); run from the repository root",
        "minutes": round(metrics["minutesThisRun"], 1),
        "threads": metrics.get("threads"),
        "workers": metrics.get("workers"),
        "stopping": metrics.get("stopping"),
        "unitCodedMaps": metrics.get("unitCodedMaps", 0),
        "presetMatches": None,  # filled by build_card
        **epoch_audit_section(metrics_path.with_name("audit.json")),
    }


def check_same_training(metrics_path: Path, stored: dict) -> None:
    """The LOSO figures describe the checkpoint only if both were trained the same way."""
    metrics = read_json(metrics_path, "LOSO metrics")
    if metrics["preset"] != stored["preset"]:
        raise ExportError(f"{metrics_path}: export refused, nothing written: the LOSO run used another preset "
                          "than the checkpoint")
    if metrics.get("unitCodedMaps", 0) != stored.get("unitCodedMaps", 0):
        raise ExportError(f"{metrics_path}: export refused, nothing written: the LOSO run and the checkpoint learnt "
                          f"action units from different coding ({metrics.get('unitCodedMaps', 0)} against "
                          f"{stored.get('unitCodedMaps', 0)} coded maps)")


def epoch_audit_section(audit_path: Path) -> dict:
    """The run's --epoch-audit figures, if it made them: what test-set epoch selection would report."""
    if not audit_path.is_file():
        return {}
    audit = read_json(audit_path, "epoch audit")
    for_all, per_subject = audit["bestEpochForAll"], audit["bestEpochPerSubject"]
    return {"epochAudit": {
        "note": audit["note"],
        "bestEpochForAll": {"epoch": for_all["epoch"], "uf1": round(for_all["uf1"], 4), "uar": round(for_all["uar"], 4)},
        "bestEpochPerSubject": {"uf1": round(per_subject["uf1"], 4), "uar": round(per_subject["uar"], 4)},
    }}


def build_card(onnx_path: Path, stored: dict, parameters: int, loso: dict | None, note: str | None) -> dict:
    preset = stored["preset"]
    digest = sha256_of(onnx_path)
    if loso is not None:
        loso["presetMatches"] = True
    card = {
        "id": f"ahmsa-net-{preset['name']}-{digest[:8]}",
        "architecture": (
            "AHMSA-Net (Adaptive Hierarchical Multi-Scale Attention Network): 7×7 patch embedding → 4×4 tokens "
            f"of width {preset['network']['width']} (+ learned positional embedding: "
            f"{preset['network']['positional_embedding']}); three levels of {tuple(preset['network']['blocks'])} "
            "blocks (pre-LayerNorm residual channel attention, multi-head spatial self-attention over the level's "
            "tokens, 1×1-conv feed-forward) joined by 3×3 conv → LayerNorm → adaptive max pool (4×4→2×2→1×1); "
            f"MLP head → 3 classes; softmax averaged over {stored['members']} seed member(s)"
            + (" and over the input and its mirror image (columns reversed, u negated)."
               if preset["training"].get("mirror_average") else ".")
        ),
        "parameters": parameters,
        "classes": list(CLASS_NAMES),
        "input": {
            "name": INPUT_NAME,
            "shape": [None, 3, MAP_SIZE, MAP_SIZE],
            "dtype": "float32",
            "channels": ["u", "v", "strain"],
            "layout": "whole-face",
            "layoutNote": ("the whole aligned face resized to 28×28 (not a region mosaic), as the composite's flow "
                           "maps: brows near row 4, mouth corners near row 16 (measured on their class-mean motion)"),
            "normalisation": {"text": NORMALISATION_TEXT, "inside the graph": True},
            "units": "any: u, v in pixels (or any linear scale) and strain, or 8-bit stretched PNG values 0..255",
        },
        "output": {"name": OUTPUT_NAME, "shape": [None, 3], "kind": "probabilities"},
        "preset": preset,
        "training": {
            "data": "MEGC2019 composite (3DB) 28×28 TV-L1 flow maps (onset→apex; u, v, optical strain) as published with HTNet",
            "samples": stored.get("samples"),
            "subjects": stored.get("subjects"),
            "datasets": stored.get("datasets"),
            "seed": stored.get("seed"),
            "minutes": round(stored.get("minutes", 0.0), 1),
            "actionUnits": (f"auxiliary task: the action units coded for {stored['unitCodedMaps']} of the maps "
                            "(CASME II and SAMM coding sheets, mer-studio import --units-csv); predicted in "
                            "training only, not an output" if stored.get("unitCodedMaps") else None),
            "licence": "derived from the licensed SMIC, SAMM and CASME II datasets; for research use only; "
                       "the training maps are not redistributed",
            "mapDigests": stored.get("mapDigests"),
            "mapDigestsNote": ("SHA-256 (first 16 hex digits) of each training map with every channel stretched "
                               "over its own minimum and maximum and rounded to 256 levels (data.map_digest), so "
                               "rescaled copies match: the app names the maps it is given that the model was "
                               "trained on"),
        },
        "loso": loso,
        "opset": OPSET,
        "sha256": digest,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
    if note:
        card["note"] = note
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.ahmsa.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path, help="the .onnx path; the card goes beside it")
    parser.add_argument("--loso-metrics", type=Path, default=None, help="metrics.json of the full LOSO run")
    parser.add_argument("--note", default=None)
    arguments = parser.parse_args(argv)
    try:
        model, stored = read_checkpoint(arguments.checkpoint)
        loso = loso_section(arguments.loso_metrics)
        if loso is not None:
            check_same_training(arguments.loso_metrics, stored)
    except ExportError as error:
        sys.stderr.write(f"error: {error}\n")
        return 3
    export_onnx(model, arguments.out)
    card = build_card(arguments.out, stored, count_parameters(model), loso, arguments.note)
    card_path = arguments.out.with_name(arguments.out.name.removesuffix(".onnx") + ".card.json")
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"onnx": str(arguments.out), "card": str(card_path), "id": card["id"],
                      "bytes": arguments.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

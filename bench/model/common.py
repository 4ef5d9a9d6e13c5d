"""Shared by the model benchmarks: the shipped model's architecture as a PyTorch module."""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from models.ahmsa.network import AHMSANet, NetworkConfig, ProbabilityModel  # noqa: E402

SHIPPED_CARD = REPO_ROOT / "models" / "ahmsa-net.card.json"


def shipped_architecture() -> ProbabilityModel:
    """Same layers and member count as the shipped ONNX model (weights do not change the speed)."""
    card = json.loads(SHIPPED_CARD.read_text())
    network = NetworkConfig.from_dict(card["preset"]["network"])
    training = card["preset"]["training"]
    members = [AHMSANet(network) for _ in range(training.get("ensemble_seeds", 1))]
    return ProbabilityModel(members, bool(training.get("mirror_average", False))).eval()

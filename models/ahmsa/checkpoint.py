"""Saving and loading trained models with the preset that made them."""
from __future__ import annotations

from pathlib import Path

import torch

from .network import AHMSANet, NetworkConfig, ProbabilityModel
from .presets import Preset


def save_checkpoint(path: Path, model: ProbabilityModel, preset: Preset, extra: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save({"preset": preset.to_dict(), "state": model.state_dict(), "members": len(model.members), **extra}, temporary)
    temporary.replace(path)


def load_checkpoint(path: Path) -> tuple[ProbabilityModel, dict]:
    stored = torch.load(path, map_location="cpu")
    network = NetworkConfig.from_dict(stored["preset"]["network"])
    mirror_average = bool(stored["preset"]["training"].get("mirror_average", False))
    model = ProbabilityModel([AHMSANet(network) for _ in range(stored["members"])], mirror_average)
    model.load_state_dict(stored["state"])
    return model.eval(), stored

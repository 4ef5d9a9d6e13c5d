"""Augmentations that respect flow semantics, on maps already normalised to [0, 1] per channel.

A horizontal mirror of a face mirrors the motion field: columns reverse and u changes sign. After
per-sample min-max scaling, -u becomes 1 - u; v and the strain magnitude only move with the pixels.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

U_CHANNEL = 0
STRAIN_CHANNEL = 2


def mirror(maps: torch.Tensor) -> torch.Tensor:
    flipped = maps.flip(-1).clone()
    flipped[:, U_CHANNEL] = 1.0 - flipped[:, U_CHANNEL]
    return flipped


def random_mirror(maps: torch.Tensor, probability: float, generator: torch.Generator) -> torch.Tensor:
    if probability <= 0.0:
        return maps
    chosen = torch.rand(maps.shape[0], generator=generator) < probability
    if not chosen.any():
        return maps
    maps = maps.clone()
    maps[chosen] = mirror(maps[chosen])
    return maps


def random_shift(maps: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Integer translation by up to max_shift pixels per axis, edges replicated."""
    if max_shift <= 0:
        return maps
    batch, _, height, width = maps.shape
    padded = F.pad(maps, (max_shift,) * 4, mode="replicate")
    offset_rows = torch.randint(0, 2 * max_shift + 1, (batch,), generator=generator)
    offset_cols = torch.randint(0, 2 * max_shift + 1, (batch,), generator=generator)
    rows = offset_rows[:, None] + torch.arange(height)[None, :]
    cols = offset_cols[:, None] + torch.arange(width)[None, :]
    batch_index = torch.arange(batch)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[batch_index, rows[:, :, None], cols[:, None, :]]
    return shifted.permute(0, 3, 1, 2).contiguous()


def add_noise(maps: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    if std <= 0.0:
        return maps
    return maps + std * torch.randn(maps.shape, generator=generator)


def random_strain_gamma(maps: torch.Tensor, max_gamma: float, generator: torch.Generator) -> torch.Tensor:
    """Raises each sample's strain (in [0, 1]) to a power drawn log-uniformly from [1/max_gamma, max_gamma].

    Flow pipelines differ most in the strain's floor: differentiating noisy full-resolution flow and
    point-sampling it leaves a few peaks over a low floor, area-averaging raises the floor. A power
    keeps 0 and 1 and moves the floor, so the model cannot rely on where it sits.
    """
    if max_gamma <= 1.0:
        return maps
    spread = math.log(max_gamma)
    gammas = torch.exp((2 * torch.rand(maps.shape[0], generator=generator) - 1) * spread)
    maps = maps.clone()
    maps[:, STRAIN_CHANNEL] = maps[:, STRAIN_CHANNEL].clamp_min(0.0) ** gammas[:, None, None]
    return maps


def random_blur(maps: torch.Tensor, max_sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian blur of each sample with σ drawn uniformly from [0, max_sigma] cells (edges replicated):
    maps area-averaged from a finer flow are smoother than point-sampled ones."""
    if max_sigma <= 0.0:
        return maps
    sigmas = torch.rand(maps.shape[0], generator=generator) * max_sigma
    offsets = torch.arange(-2, 3, dtype=maps.dtype)
    kernels = torch.exp(-(offsets[None, :] ** 2) / (2 * sigmas[:, None].clamp_min(1e-3) ** 2))
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # [N, 5]
    height, width = maps.shape[-2:]
    padded = F.pad(maps, (2, 2, 2, 2), mode="replicate")
    rows = sum(kernels[:, k, None, None, None] * padded[:, :, k : k + height, :] for k in range(5))
    return sum(kernels[:, k, None, None, None] * rows[:, :, :, k : k + width] for k in range(5))


def mixup(
    maps: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor, alpha: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Convex mix of each sample with a random partner; targets and sample weights mix alike."""
    if alpha <= 0.0:
        return maps, targets, weights
    # numpy's Beta sampler, seeded from the torch generator so runs stay reproducible.
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    mix = float(np.random.default_rng(seed).beta(alpha, alpha))
    mix = max(mix, 1.0 - mix)
    partner = torch.randperm(maps.shape[0], generator=generator)
    return (
        mix * maps + (1 - mix) * maps[partner],
        mix * targets + (1 - mix) * targets[partner],
        mix * weights + (1 - mix) * weights[partner],
    )

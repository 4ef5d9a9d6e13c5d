"""Training one model (or a small seed ensemble) on a fixed schedule; no look at held-out data."""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch.nn import functional as F

from . import augment
from .data import NUM_CLASSES, UnitTargets
from .network import AHMSANet, ProbabilityModel, normalise_per_sample
from .presets import Preset, TrainingConfig

ProgressCallback = Callable[[dict], None]
# Called after every epoch with (epoch, the model that would predict if training stopped there).
EpochInspector = Callable[[int, AHMSANet], None]
PROGRESS_MILESTONES = 4  # epoch reports per model: at 25 %, 50 %, 75 %, 100 % of the schedule


def class_weights(labels: np.ndarray, balanced: bool) -> torch.Tensor:
    """Inverse-frequency weights (mean 1 over samples) from the training labels only."""
    if not balanced:
        return torch.ones(NUM_CLASSES)
    counts = np.bincount(labels, minlength=NUM_CLASSES).astype(np.float64)
    weights = np.where(counts > 0, len(labels) / (NUM_CLASSES * np.maximum(counts, 1)), 0.0)
    return torch.tensor(weights, dtype=torch.float32)


def learning_rate_at(step: int, total_steps: int, warmup_steps: int, config: TrainingConfig) -> float:
    if warmup_steps > 0 and step < warmup_steps:
        return config.learning_rate * (step + 1) / warmup_steps
    if config.schedule == "constant":
        return config.learning_rate
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_optimiser(model: torch.nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    if config.optimiser == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    # No decay on biases, norms and the positional embedding.
    decayed = [p for name, p in model.named_parameters() if p.dim() > 1 and "positional" not in name]
    plain = [p for name, p in model.named_parameters() if not (p.dim() > 1 and "positional" not in name)]
    return torch.optim.AdamW(
        [{"params": decayed, "weight_decay": config.weight_decay}, {"params": plain, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    per_sample = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)
    return (weights * per_sample).sum() / weights.sum().clamp_min(1e-8)


def train_single(
    maps: np.ndarray,
    labels: np.ndarray,
    preset: Preset,
    seed: int,
    progress: ProgressCallback | None = None,
    inspect_epoch: EpochInspector | None = None,
    units: UnitTargets | None = None,
) -> AHMSANet:
    config = preset.training
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    unit_targets, unit_coded = unit_task(units, config)
    network = preset.network if unit_targets is None else replace(preset.network, unit_outputs=unit_targets.shape[1])
    model = AHMSANet(network)
    model.train()
    optimiser = make_optimiser(model, config)
    average = WeightAverage(model, config.ema_decay) if config.ema_decay > 0 else None

    inputs = normalise_per_sample(torch.from_numpy(maps))
    targets_hard = torch.from_numpy(labels)
    per_class_weight = class_weights(labels, config.class_balanced_loss)
    count = len(labels)
    batch_size = min(config.batch_size, count)
    steps_per_epoch = max(1, math.ceil(count / batch_size))
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = steps_per_epoch * config.warmup_epochs
    milestones = {max(1, round(config.epochs * k / PROGRESS_MILESTONES)) for k in range(1, PROGRESS_MILESTONES + 1)}

    step = 0
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(count, generator=generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            if len(index) < 2 and count >= 2:
                continue  # a batch of one breaks nothing but adds noise; skip the remainder
            batch = inputs[index]
            hard = targets_hard[index]
            targets = F.one_hot(hard, NUM_CLASSES).float()
            if config.label_smoothing > 0:
                targets = targets * (1 - config.label_smoothing) + config.label_smoothing / NUM_CLASSES
            weights = per_class_weight[hard]
            batch = augment.random_mirror(batch, config.flip_probability, generator)
            batch = augment.random_shift(batch, config.max_shift_pixels, generator)
            batch = augment.random_strain_gamma(batch, config.strain_gamma, generator)
            batch = augment.random_blur(batch, config.blur_sigma, generator)
            batch = augment.add_noise(batch, config.noise_std, generator)
            batch, targets, weights = augment.mixup(batch, targets, weights, config.mixup_alpha, generator)

            for group in optimiser.param_groups:
                group["lr"] = learning_rate_at(step, total_steps, warmup_steps, config)
            if unit_targets is None:
                logits = model(batch)
                loss = soft_cross_entropy(logits, targets, weights)
            else:
                logits, unit_logits = model.logits_and_units(batch)
                loss = soft_cross_entropy(logits, targets, weights)
                coded = unit_coded[index]
                if coded.any():
                    unit_loss = F.binary_cross_entropy_with_logits(unit_logits[coded], unit_targets[index][coded])
                    loss = loss + config.unit_loss_weight * unit_loss
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if average is not None:
                average.update(model)
            step += 1
            loss_sum += float(loss) * len(index)
            correct += int((logits.argmax(dim=1) == hard).sum())
        if progress is not None and epoch in milestones:
            progress({"epoch": epoch, "epochs": config.epochs, "loss": loss_sum / count, "trainAccuracy": correct / count})
        if inspect_epoch is not None:
            inspect_epoch(epoch, predictor_snapshot(model, average))
    if average is not None:
        average.copy_to(model)
    model.unit_head = None  # a training aid only: the model predicts classes
    model.eval()
    return model


def unit_task(units: UnitTargets | None, config: TrainingConfig) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The action-unit targets to learn (units coded on at least unit_min_count maps) and the coded
    mask, or (None, None) when there is no such task."""
    if units is None or config.unit_loss_weight <= 0 or not units.coded.any():
        return None, None
    if config.mixup_alpha > 0:
        raise ValueError("action-unit targets cannot be mixed: use unit_loss_weight or mixup_alpha, not both")
    kept = units.targets[units.coded].sum(axis=0) >= config.unit_min_count
    if not kept.any():
        return None, None
    return torch.from_numpy(units.targets[:, kept].astype(np.float32)), torch.from_numpy(units.coded)


def predictor_snapshot(model: AHMSANet, average: "WeightAverage | None") -> AHMSANet:
    """A copy of the model as it would predict now (EMA weights when averaging), in evaluation mode.
    Makes no random draws, so inspecting epochs leaves training unchanged."""
    snapshot = copy.deepcopy(model)
    if average is not None:
        average.copy_to(snapshot)
    return snapshot.eval()


class WeightAverage:
    """Exponential moving average of the parameters, updated after every optimiser step."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = [parameter.detach().clone() for parameter in model.parameters()]

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for shadow, parameter in zip(self.shadow, model.parameters()):
            shadow.mul_(self.decay).add_(parameter.detach(), alpha=1.0 - self.decay)

    @torch.no_grad()
    def copy_to(self, model: torch.nn.Module) -> None:
        for shadow, parameter in zip(self.shadow, model.parameters()):
            parameter.copy_(shadow)


def train_ensemble(
    maps: np.ndarray,
    labels: np.ndarray,
    preset: Preset,
    seed: int,
    progress: ProgressCallback | None = None,
    inspect_epoch: Callable[[int, int, AHMSANet], None] | None = None,
    units: UnitTargets | None = None,
) -> ProbabilityModel:
    """`ensemble_seeds` models with seeds seed, seed+1, …; their softmax outputs are averaged.
    inspect_epoch, if given, is called with (member, epoch, snapshot) after every epoch."""
    members = []
    for member in range(preset.training.ensemble_seeds):
        report = inspect = None
        if progress is not None:
            report = lambda event, member=member: progress({**event, "member": member})  # noqa: E731
        if inspect_epoch is not None:
            inspect = lambda epoch, model, member=member: inspect_epoch(member, epoch, model)  # noqa: E731
        members.append(train_single(maps, labels, preset, seed + member, report, inspect, units))
    return ProbabilityModel(members, preset.training.mirror_average).eval()


@torch.no_grad()
def predict_probabilities(model: torch.nn.Module, maps: np.ndarray, batch_size: int = 256) -> np.ndarray:
    model.eval()
    outputs = [model(torch.from_numpy(maps[i : i + batch_size])) for i in range(0, len(maps), batch_size)]
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, NUM_CLASSES), dtype=np.float32)

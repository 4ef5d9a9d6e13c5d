"""Named hyper-parameter sets. A preset fixes the whole schedule in advance for every LOSO fold."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from .network import NetworkConfig


@dataclass(frozen=True)
class TrainingConfig:
    optimiser: str = "adamw"  # "adam" or "adamw"
    learning_rate: float = 1e-3
    weight_decay: float = 0.05
    batch_size: int = 64
    epochs: int = 100
    warmup_epochs: int = 5
    schedule: str = "cosine"  # "cosine" (after linear warm-up) or "constant"
    label_smoothing: float = 0.1
    class_balanced_loss: bool = True
    mixup_alpha: float = 0.0
    flip_probability: float = 0.5
    max_shift_pixels: int = 1
    noise_std: float = 0.02  # in units of the normalised [0, 1] range
    strain_gamma: float = 1.0  # > 1: strain raised to a random power in [1/g, g] (pipeline robustness)
    blur_sigma: float = 0.0  # > 0: Gaussian blur with a random σ in [0, blur_sigma] cells
    ensemble_seeds: int = 1
    mirror_average: bool = False  # predict with the mean of the face and its mirror image
    ema_decay: float = 0.0  # > 0: predict with an exponential moving average of the weights (per step)
    unit_loss_weight: float = 0.0  # > 0 with --unit-labels: also learn the coded action units (auxiliary)
    unit_min_count: int = 10  # action units coded on fewer training maps are left out of that task


@dataclass(frozen=True)
class Preset:
    name: str
    network: NetworkConfig
    training: TrainingConfig
    description: str = ""

    def to_dict(self) -> dict:
        values = asdict(self)
        values["network"]["blocks"] = list(self.network.blocks)
        return values


PAPER = Preset(
    name="paper",
    description="The paper's reported settings (width from HTNet); meant for a GPU.",
    network=NetworkConfig(width=256, heads=3, head_width=64, feedforward_ratio=4.0, head_hidden=256,
                          positional_embedding=True),
    training=TrainingConfig(
        optimiser="adam", learning_rate=5e-6, weight_decay=0.0, batch_size=256, epochs=800,
        warmup_epochs=0, schedule="constant", label_smoothing=0.0, class_balanced_loss=False,
        mixup_alpha=0.0, flip_probability=0.0, max_shift_pixels=0, noise_std=0.0, ensemble_seeds=1,
    ),
)

CPU = Preset(
    name="cpu",
    description=("Width 32, 80-epoch AdamW cosine schedule, label smoothing, class-balanced loss, flow-aware "
                 "augmentation (mirror with u negated, ±1 px shifts, noise), strain powers and blur for maps "
                 "from other flow pipelines, dropout and stochastic depth, EMA weights, mirror-averaged "
                 "prediction; with --unit-labels, the coded action units as a second task (weight 0.5); "
                 "68-fold LOSO on 2 CPU cores."),
    network=NetworkConfig(width=32, heads=3, head_width=16, feedforward_ratio=2.0, head_hidden=32,
                          dropout=0.1, drop_path=0.1, positional_embedding=True),
    training=TrainingConfig(epochs=80, ema_decay=0.99, mirror_average=True, unit_loss_weight=0.5,
                            strain_gamma=2.5, blur_sigma=1.0),
)

# A few-epoch run used only for tests and the preliminary export.
TINY = Preset(
    name="tiny",
    description="Minimal width and epochs, for tests.",
    network=NetworkConfig(width=16, heads=2, head_width=8, blocks=(1, 1, 1), head_hidden=16),
    training=TrainingConfig(epochs=2, batch_size=32, warmup_epochs=0),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in (PAPER, CPU, TINY)}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(sorted(PRESETS))})")
    return PRESETS[name]


def with_overrides(preset: Preset, epochs: int | None = None, ensemble_seeds: int | None = None) -> Preset:
    training = preset.training
    if epochs is not None:
        training = replace(training, epochs=epochs)
    if ensemble_seeds is not None:
        training = replace(training, ensemble_seeds=ensemble_seeds)
    return replace(preset, training=training)


def with_settings(preset: Preset, settings: list[str]) -> Preset:
    """Applies `section.field=value` overrides (section: network or training), e.g. training.epochs=60."""
    network, training = preset.network, preset.training
    for setting in settings:
        key, _, text = setting.partition("=")
        section, _, field_name = key.strip().partition(".")
        target = {"network": network, "training": training}.get(section)
        if target is None or not text or field_name not in target.__dataclass_fields__:
            raise ValueError(f"--set {setting}: expected network.<field>=<value> or training.<field>=<value>")
        current = getattr(target, field_name)
        if isinstance(current, bool):
            value = text.lower() in ("1", "true", "yes")
        elif isinstance(current, tuple):
            value = tuple(int(part) for part in text.split(","))
        else:
            value = type(current)(text)
        if section == "network":
            network = replace(network, **{field_name: value})
        else:
            training = replace(training, **{field_name: value})
    return replace(preset, network=network, training=training)

"""AHMSA-Net: Adaptive Hierarchical Multi-Scale Attention Network (see shared/docs/AHMSA.md).

Tokens stay on their grid as [batch, channels, rows, cols]: the paper's 1×1 convolutions are real
Conv2d layers (they also run on oneDNN, much faster than the generic BLAS behind nn.Linear in
Debian's PyTorch build).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

INPUT_SIZE = 28
PATCH_SIZE = 7
NUM_CLASSES = 3
NORMALISE_EPSILON = 1e-6


@dataclass(frozen=True)
class NetworkConfig:
    width: int = 64
    heads: int = 3
    head_width: int = 16
    blocks: tuple[int, int, int] = (2, 2, 8)
    channel_reduction: int = 4
    feedforward_ratio: float = 2.0
    dropout: float = 0.0
    drop_path: float = 0.0
    positional_embedding: bool = True
    head_hidden: int = 64
    unit_outputs: int = 0  # > 0: a second head predicts this many action units (an auxiliary training task)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(values: dict) -> "NetworkConfig":
        values = dict(values)
        values["blocks"] = tuple(values["blocks"])
        return NetworkConfig(**values)


def normalise_per_sample(flow: torch.Tensor) -> torch.Tensor:
    """Per-sample, per-channel min-max to [0, 1]; a constant channel becomes all zeros.

    This makes the composite's 8-bit stretched PNGs (0..255) and float flow maps in pixels look
    alike, whatever their scale or offset. (Computed on [N, 3, 784]: onnxruntime broadcasts over the
    last axis much faster than over [N, 3, 1, 1].)
    """
    return _normalise_with_spread(flow)[0]


def _normalise_with_spread(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """normalise_per_sample(flow), and each channel's (max - min) in normalised units [N, 3, 1]:
    1, or 0 for a constant channel."""
    flat = flow.flatten(2)
    low = flat.amin(dim=2, keepdim=True)
    spread = flat.amax(dim=2, keepdim=True) - low
    scale = 1.0 / spread.clamp_min(NORMALISE_EPSILON)
    return ((flat - low) * scale).reshape(flow.shape), spread * scale


class DropPath(nn.Module):
    """Stochastic depth: drops a whole residual branch per sample while training."""

    def __init__(self, probability: float) -> None:
        super().__init__()
        self.probability = probability

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.probability == 0.0:
            return x
        keep = 1.0 - self.probability
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of a [N, C, H, W] grid (each token normalised on its own)."""

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return super().forward(grid.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return super().forward(tokens)


def pointwise(inputs: int, outputs: int) -> nn.Conv2d:
    return nn.Conv2d(inputs, outputs, kernel_size=1)


def pointwise_on_tokens(conv: nn.Conv2d, rows: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution applied to token rows [N·T, C] as the equivalent linear map (a Gemm)."""
    return F.linear(rows, conv.weight.flatten(1), conv.bias)


class ChannelAttention(nn.Module):
    """Average- and max-pooled descriptors through the same two 1×1 convolutions, summed, sigmoid."""

    def __init__(self, width: int, reduction: int) -> None:
        super().__init__()
        hidden = max(1, width // reduction)
        self.width = width
        self.mlp = nn.Sequential(pointwise(width, hidden), nn.ReLU(), pointwise(hidden, width))

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        average = grid.mean(dim=(2, 3), keepdim=True)
        maximum = grid.amax(dim=(2, 3), keepdim=True)
        return grid * torch.sigmoid(self.mlp(average) + self.mlp(maximum))

    def forward_tokens(self, rows: torch.Tensor, count: int) -> torch.Tensor:
        first, _, second = self.mlp

        def mlp(descriptor: torch.Tensor) -> torch.Tensor:
            return pointwise_on_tokens(second, F.relu(pointwise_on_tokens(first, descriptor)))

        tokens = rows.reshape(-1, count, self.width)
        weights = torch.sigmoid(mlp(tokens.mean(dim=1)) + mlp(tokens.amax(dim=1)))
        return (tokens * weights.unsqueeze(1)).reshape(-1, self.width)


class SpatialSelfAttention(nn.Module):
    """1×1 convolutions give Q, K, V; multi-head scaled dot-product attention across the grid's
    tokens; heads concatenated → 1×1 convolution."""

    def __init__(self, width: int, heads: int, head_width: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.head_width = head_width
        inner = heads * head_width
        self.query_key_value = pointwise(width, 3 * inner)
        self.merge = pointwise(inner, width)
        self.dropout = nn.Dropout(dropout)
        self.scale = 1.0 / math.sqrt(head_width)

    def value_only(self, inputs: torch.Tensor, tokens_last: bool) -> torch.Tensor:
        """Attention over a single token: its softmax weight is exactly 1, so the output is V.
        Used in evaluation only (training keeps the attention dropout of the full path)."""
        inner = self.heads * self.head_width
        weight = self.query_key_value.weight[2 * inner :]
        bias = self.query_key_value.bias[2 * inner :]
        if tokens_last:
            return pointwise_on_tokens(self.merge, F.linear(inputs, weight.flatten(1), bias))
        return self.merge(F.conv2d(inputs, weight, bias))

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = grid.shape
        if height * width == 1 and not self.training:
            return self.value_only(grid, tokens_last=False)
        qkv = self.query_key_value(grid).reshape(batch, 3, self.heads, self.head_width, height * width)
        query, key, value = qkv.unbind(1)  # each [N, heads, head_width, tokens]
        attention = torch.softmax((query.transpose(-2, -1) @ key) * self.scale, dim=-1)
        mixed = value @ self.dropout(attention).transpose(-2, -1)  # [N, heads, head_width, tokens]
        return self.merge(mixed.reshape(batch, self.heads * self.head_width, height, width))

    def forward_tokens(self, rows: torch.Tensor, count: int) -> torch.Tensor:
        if count == 1 and not self.training:
            return self.value_only(rows, tokens_last=True)
        # Three linear maps instead of one split: onnxruntime copies a split of the middle axis slowly.
        inner = self.heads * self.head_width
        weight, bias = self.query_key_value.weight.flatten(1), self.query_key_value.bias
        query, key, value = (
            F.linear(rows, weight[i * inner : (i + 1) * inner], bias[i * inner : (i + 1) * inner])
            .reshape(-1, count, self.heads, self.head_width)
            .transpose(1, 2)  # [N, heads, tokens, head_width]
            for i in range(3)
        )
        attention = torch.softmax((query @ key.transpose(-2, -1)) * self.scale, dim=-1)
        mixed = (self.dropout(attention) @ value).transpose(1, 2).reshape(-1, inner)
        return pointwise_on_tokens(self.merge, mixed)


class FeedForward(nn.Module):
    def __init__(self, width: int, ratio: float, dropout: float) -> None:
        super().__init__()
        hidden = max(1, int(round(width * ratio)))
        self.layers = nn.Sequential(
            pointwise(width, hidden), nn.GELU(), nn.Dropout(dropout), pointwise(hidden, width)
        )

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return self.layers(grid)

    def forward_tokens(self, rows: torch.Tensor) -> torch.Tensor:
        expand, activation, dropout, project = self.layers
        return pointwise_on_tokens(project, dropout(activation(pointwise_on_tokens(expand, rows))))


class MultiScaleAttentionBlock(nn.Module):
    """Three pre-LayerNorm residual sub-modules: channel attention, spatial attention, feed-forward."""

    def __init__(self, config: NetworkConfig, drop_path: float) -> None:
        super().__init__()
        width = config.width
        self.norm_channel = ChannelLayerNorm(width)
        self.channel_attention = ChannelAttention(width, config.channel_reduction)
        self.norm_spatial = ChannelLayerNorm(width)
        self.spatial_attention = SpatialSelfAttention(width, config.heads, config.head_width, config.dropout)
        self.norm_feedforward = ChannelLayerNorm(width)
        self.feedforward = FeedForward(width, config.feedforward_ratio, config.dropout)
        self.drop_path = DropPath(drop_path)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        grid = grid + self.drop_path(self.channel_attention(self.norm_channel(grid)))
        grid = grid + self.drop_path(self.spatial_attention(self.norm_spatial(grid)))
        return grid + self.drop_path(self.feedforward(self.norm_feedforward(grid)))

    def forward_tokens(self, rows: torch.Tensor, count: int) -> torch.Tensor:
        """Evaluation only (stochastic depth would drop rows here, not samples)."""
        rows = rows + self.channel_attention.forward_tokens(self.norm_channel.forward_tokens(rows), count)
        rows = rows + self.spatial_attention.forward_tokens(self.norm_spatial.forward_tokens(rows), count)
        return rows + self.feedforward.forward_tokens(self.norm_feedforward.forward_tokens(rows))


class AdaptiveDownsample(nn.Module):
    """3×3 convolution → LayerNorm → adaptive max pooling to the next (halved) grid."""

    def __init__(self, width: int, output_grid: int) -> None:
        super().__init__()
        self.width = width
        self.output_grid = output_grid
        self.conv = nn.Conv2d(width, width, kernel_size=3, padding=1)
        self.norm = ChannelLayerNorm(width)
        self.pool = nn.AdaptiveMaxPool2d(output_grid)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return self.pool(self.norm(self.conv(grid)))

    def forward_tokens(self, rows: torch.Tensor, side: int) -> torch.Tensor:
        convolved = self.conv(rows.reshape(-1, side, side, self.width).permute(0, 3, 1, 2))
        normalised = self.norm.forward_tokens(convolved.permute(0, 2, 3, 1))
        # side is a multiple of the output grid (4 → 2 → 1), so adaptive pooling is this plain
        # pooling, which the exporter also handles when the traced sizes are not static.
        pooled = F.max_pool2d(normalised.permute(0, 3, 1, 2), kernel_size=side // self.output_grid)
        return pooled.permute(0, 2, 3, 1).reshape(-1, self.width)


class AHMSANet(nn.Module):
    """Input `flow` [N, 3, 28, 28] (u, v, strain), any scale → logits [N, 3]."""

    def __init__(self, config: NetworkConfig = NetworkConfig()) -> None:
        super().__init__()
        self.config = config
        width = config.width
        grid = INPUT_SIZE // PATCH_SIZE
        self.patch_embedding = nn.Conv2d(3, width, kernel_size=PATCH_SIZE, stride=PATCH_SIZE)
        self.positional = nn.Parameter(torch.zeros(1, width, grid, grid)) if config.positional_embedding else None
        if self.positional is not None:
            nn.init.trunc_normal_(self.positional, std=0.02)
        total_blocks = sum(config.blocks)
        rates = [config.drop_path * index / max(1, total_blocks - 1) for index in range(total_blocks)]
        self.levels = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        start = 0
        for level, count in enumerate(config.blocks):
            self.levels.append(
                nn.Sequential(*[MultiScaleAttentionBlock(config, rates[start + i]) for i in range(count)])
            )
            start += count
            if level < len(config.blocks) - 1:
                grid = max(1, grid // 2)
                self.downsamples.append(AdaptiveDownsample(width, grid))
        self.head = nn.Sequential(
            nn.LayerNorm(width),
            nn.Linear(width, config.head_hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.head_hidden, NUM_CLASSES),
        )
        self.apply(_initialise)
        # Created last so that a network without it initialises exactly as before.
        self.unit_head = None
        if config.unit_outputs > 0:
            self.unit_head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, config.unit_outputs))
            self.unit_head.apply(_initialise)

    # False: blocks run on [N, C, H, W] grids with 1×1 convolutions (fast in PyTorch eager, which
    # runs convolutions on oneDNN). True: the same parameters on token rows [N·T, C] with linear
    # maps and last-axis LayerNorm (fewer transposes and layout changes in onnxruntime); used for
    # export, in evaluation mode only.
    token_layout: bool = False

    def forward(self, flow: torch.Tensor) -> torch.Tensor:
        return self.classify_grid(self.embed(normalise_per_sample(flow)))

    def embed(self, normalised: torch.Tensor) -> torch.Tensor:
        """Normalised maps [N, 3, 28, 28] → token grid [N, C, 4, 4] (patch embedding + position)."""
        grid = self.patch_embedding(normalised)
        return grid if self.positional is None else grid + self.positional

    def embed_tokens_with_mirror(self, flow: torch.Tensor) -> torch.Tensor:
        """embed(normalise(x)) for x = flow and x = mirror_flow(flow), as token rows [2N·16, C]
        (sample-major, then row-major grid positions), with one normalisation and one convolution of
        the unmirrored input.

        Exact rewrite used for export: the 7×7 patches do not overlap, so embedding the mirrored map
        is embedding the map with column-reversed kernels, then reversing the token columns; and
        normalising -u gives (max - u)·scale = range·scale - (u - min)·scale, a linear function of
        the normalised u.
        """
        normalised, spread = _normalise_with_spread(flow)
        weight, bias = self.patch_embedding.weight, self.patch_embedding.bias
        reversed_kernel = weight.flip(-1)
        mirrored_weight = torch.cat([-reversed_kernel[:, :1], reversed_kernel[:, 1:]], dim=1)
        both = F.conv2d(normalised, torch.cat([weight, mirrored_weight]), stride=PATCH_SIZE)
        width = weight.shape[0]
        u_weight_sums = weight[:, 0].sum(dim=(1, 2)).reshape(1, width, 1, 1)
        mirrored = both[:, width:] + spread[:, :1].reshape(-1, 1, 1, 1) * u_weight_sums
        side = INPUT_SIZE // PATCH_SIZE
        # Token r·side + c of the mirror is token r·side + (side - 1 - c) of `mirrored` (a gather of
        # whole token rows: onnxruntime gathers along the last axis element by element, slowly).
        mirrored_order = torch.arange(side * side, device=flow.device).reshape(side, side).flip(1).flatten()
        tokens = torch.cat([both[:, :width].flatten(2).transpose(1, 2),
                            mirrored.flatten(2).transpose(1, 2).index_select(1, mirrored_order)])
        offset = bias.reshape(1, width, 1, 1) if self.positional is None else bias.reshape(1, width, 1, 1) + self.positional
        return (tokens + offset.flatten(2).transpose(1, 2)).reshape(-1, width)

    def classify_grid(self, grid: torch.Tensor) -> torch.Tensor:
        """Token grid [N, C, 4, 4] → logits [N, 3]."""
        if self.token_layout:
            return self.classify_tokens(grid.flatten(2).transpose(1, 2).reshape(-1, self.config.width))
        return self.head(self.pooled_features(grid))

    def pooled_features(self, grid: torch.Tensor) -> torch.Tensor:
        """Token grid [N, C, 4, 4] → the features both heads read [N, C]."""
        for index, level in enumerate(self.levels):
            grid = level(grid)
            if index < len(self.downsamples):
                grid = self.downsamples[index](grid)
        return grid.mean(dim=(2, 3))

    def logits_and_units(self, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits [N, 3] and action-unit logits [N, unit_outputs] (training with units)."""
        if self.unit_head is None:
            raise ValueError("this network has no action-unit head (unit_outputs is 0)")
        features = self.pooled_features(self.embed(normalise_per_sample(flow)))
        return self.head(features), self.unit_head(features)

    def classify_tokens(self, rows: torch.Tensor) -> torch.Tensor:
        """Token rows [N·16, C] (sample-major, row-major grid positions) → logits [N, 3]. Every
        reshape names its sizes as Python constants (batch -1), so the exported graph computes no
        shapes at run time."""
        side = INPUT_SIZE // PATCH_SIZE
        for index, level in enumerate(self.levels):
            for block in level:
                rows = block.forward_tokens(rows, side * side)
            if index < len(self.downsamples):
                rows = self.downsamples[index].forward_tokens(rows, side)
                side = max(1, side // 2)
        return self.head(rows.reshape(-1, side * side, self.config.width).mean(dim=1))


def mirror_flow(flow: torch.Tensor) -> torch.Tensor:
    """The flow of the mirrored face: columns reversed and horizontal motion u negated."""
    # A constant index (the map width is fixed) keeps the ONNX graph's shapes static.
    reversed_columns = torch.arange(INPUT_SIZE - 1, -1, -1, device=flow.device)
    mirrored = flow.index_select(-1, reversed_columns)
    return torch.cat([-mirrored[:, :1], mirrored[:, 1:]], dim=1)


class ProbabilityModel(nn.Module):
    """Wraps one or more AHMSA-Nets; averages their softmax outputs (what is exported to ONNX).

    With mirror_average, each member also sees the mirrored face and both outputs are averaged.
    """

    def __init__(self, members: list[AHMSANet], mirror_average: bool = False) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.mirror_average = mirror_average

    def forward(self, flow: torch.Tensor) -> torch.Tensor:
        probabilities = [torch.softmax(self._logits(member, flow), dim=1) for member in self.members]
        mean = probabilities[0] if len(probabilities) == 1 else torch.stack(probabilities, dim=0).mean(dim=0)
        if self.mirror_average:
            mean = mean.reshape(2, -1, NUM_CLASSES).mean(dim=0)
        return mean

    def _logits(self, member: AHMSANet, flow: torch.Tensor) -> torch.Tensor:
        """Logits of flow, then (with mirror_average) of its mirror, as one batch of 2N."""
        if not self.mirror_average:
            return member(flow)
        if member.token_layout:  # the exported graph: the mirror folded into the embedding
            return member.classify_tokens(member.embed_tokens_with_mirror(flow))
        return member(torch.cat([flow, mirror_flow(flow)], dim=0))


def _initialise(module: nn.Module) -> None:
    is_pointwise = isinstance(module, nn.Conv2d) and module.kernel_size == (1, 1)
    if isinstance(module, nn.Linear) or is_pointwise:
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())

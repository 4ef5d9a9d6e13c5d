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
    flat = flow.flatten(2)
    low = flat.amin(dim=2, keepdim=True)
    scale = 1.0 / (flat.amax(dim=2, keepdim=True) - low).clamp_min(NORMALISE_EPSILON)
    return ((flat - low) * scale).reshape(flow.shape)


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


def pointwise_on_tokens(conv: nn.Conv2d, tokens: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution applied to [N, tokens, C] as the equivalent linear map."""
    return F.linear(tokens, conv.weight.flatten(1), conv.bias)


class ChannelAttention(nn.Module):
    """Average- and max-pooled descriptors through the same two 1×1 convolutions, summed, sigmoid."""

    def __init__(self, width: int, reduction: int) -> None:
        super().__init__()
        hidden = max(1, width // reduction)
        self.mlp = nn.Sequential(pointwise(width, hidden), nn.ReLU(), pointwise(hidden, width))

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        average = grid.mean(dim=(2, 3), keepdim=True)
        maximum = grid.amax(dim=(2, 3), keepdim=True)
        return grid * torch.sigmoid(self.mlp(average) + self.mlp(maximum))

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        first, _, second = self.mlp

        def mlp(descriptor: torch.Tensor) -> torch.Tensor:
            return pointwise_on_tokens(second, F.relu(pointwise_on_tokens(first, descriptor)))

        weights = torch.sigmoid(mlp(tokens.mean(dim=1, keepdim=True)) + mlp(tokens.amax(dim=1, keepdim=True)))
        return tokens * weights


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

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        batch, count, _ = tokens.shape
        if count == 1 and not self.training:
            return self.value_only(tokens, tokens_last=True)
        qkv = pointwise_on_tokens(self.query_key_value, tokens).reshape(batch, count, 3, self.heads, self.head_width)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [N, heads, tokens, head_width]
        attention = torch.softmax((query @ key.transpose(-2, -1)) * self.scale, dim=-1)
        mixed = (self.dropout(attention) @ value).transpose(1, 2).reshape(batch, count, -1)
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

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        expand, activation, dropout, project = self.layers
        return pointwise_on_tokens(project, dropout(activation(pointwise_on_tokens(expand, tokens))))


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

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = tokens + self.drop_path(self.channel_attention.forward_tokens(self.norm_channel.forward_tokens(tokens)))
        tokens = tokens + self.drop_path(self.spatial_attention.forward_tokens(self.norm_spatial.forward_tokens(tokens)))
        return tokens + self.drop_path(self.feedforward.forward_tokens(self.norm_feedforward.forward_tokens(tokens)))


class AdaptiveDownsample(nn.Module):
    """3×3 convolution → LayerNorm → adaptive max pooling to the next (halved) grid."""

    def __init__(self, width: int, output_grid: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(width, width, kernel_size=3, padding=1)
        self.norm = ChannelLayerNorm(width)
        self.pool = nn.AdaptiveMaxPool2d(output_grid)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return self.pool(self.norm(self.conv(grid)))

    def forward_tokens(self, tokens: torch.Tensor, grid: int) -> torch.Tensor:
        batch, _, width = tokens.shape
        convolved = self.conv(tokens.transpose(1, 2).reshape(batch, width, grid, grid))
        normalised = self.norm.forward_tokens(convolved.flatten(2).transpose(1, 2))
        pooled = self.pool(normalised.transpose(1, 2).reshape(batch, width, grid, grid))
        return pooled.flatten(2).transpose(1, 2)


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

    # False: blocks run on [N, C, H, W] grids with 1×1 convolutions (fast in PyTorch eager, which
    # runs convolutions on oneDNN). True: the same parameters on [N, tokens, C] with linear maps and
    # last-axis LayerNorm (fewer transposes and layout changes in onnxruntime); used for export.
    token_layout: bool = False

    def forward(self, flow: torch.Tensor) -> torch.Tensor:
        grid = self.patch_embedding(normalise_per_sample(flow))
        if self.positional is not None:
            grid = grid + self.positional
        if self.token_layout:
            return self._forward_tokens(grid)
        for index, level in enumerate(self.levels):
            grid = level(grid)
            if index < len(self.downsamples):
                grid = self.downsamples[index](grid)
        return self.head(grid.mean(dim=(2, 3)))

    def _forward_tokens(self, grid: torch.Tensor) -> torch.Tensor:
        side = INPUT_SIZE // PATCH_SIZE  # a Python constant, so the exported graph keeps static shapes
        tokens = grid.flatten(2).transpose(1, 2)
        for index, level in enumerate(self.levels):
            for block in level:
                tokens = block.forward_tokens(tokens)
            if index < len(self.downsamples):
                tokens = self.downsamples[index].forward_tokens(tokens, side)
                side = max(1, side // 2)
        return self.head(tokens.mean(dim=1))


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
        # The face and its mirror go through each member as one batch of 2N (fewer, larger ops).
        inputs = torch.cat([flow, mirror_flow(flow)], dim=0) if self.mirror_average else flow
        probabilities = [torch.softmax(member(inputs), dim=1) for member in self.members]
        mean = probabilities[0] if len(probabilities) == 1 else torch.stack(probabilities, dim=0).mean(dim=0)
        if self.mirror_average:
            mean = mean.reshape(2, -1, NUM_CLASSES).mean(dim=0)
        return mean


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

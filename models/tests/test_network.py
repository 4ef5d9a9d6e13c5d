import numpy as np
import pytest
import torch

from models.ahmsa.network import AHMSANet, NetworkConfig, ProbabilityModel, count_parameters, normalise_per_sample
from models.ahmsa.presets import CPU, PAPER, get_preset

SMALL = NetworkConfig(width=24, heads=3, head_width=8, blocks=(2, 2, 8), head_hidden=16)


@pytest.mark.parametrize("batch", [1, 5])
def test_logits_shape(batch: int) -> None:
    model = AHMSANet(SMALL).eval()
    assert model(torch.rand(batch, 3, 28, 28)).shape == (batch, 3)


def test_hierarchy_is_4x4_then_2x2_then_1x1_with_2_2_8_blocks() -> None:
    model = AHMSANet(SMALL).eval()
    grids = []
    hooks = [level.register_forward_hook(lambda _m, _i, out: grids.append(tuple(out.shape[1:])))
             for level in model.levels]
    model(torch.rand(2, 3, 28, 28))
    for hook in hooks:
        hook.remove()
    assert grids == [(24, 4, 4), (24, 2, 2), (24, 1, 1)]
    assert [len(level) for level in model.levels] == [2, 2, 8]


def test_paper_preset_size_matches_the_documented_cost() -> None:
    model = AHMSANet(PAPER.network)
    # AHMSA.md: width 256 → about 10.1 M parameters
    assert 9.5e6 < count_parameters(model) < 11e6
    assert PAPER.training.learning_rate == 5e-6 and PAPER.training.batch_size == 256 and PAPER.training.epochs == 800


def test_every_parameter_receives_a_gradient() -> None:
    torch.manual_seed(0)
    model = AHMSANet(NetworkConfig(width=16, heads=2, head_width=8, blocks=(2, 2, 8), head_hidden=16,
                                   dropout=0.0, drop_path=0.0))
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.rand(6, 3, 28, 28) * 255), torch.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert missing == []


def test_normalisation_maps_each_channel_to_unit_range() -> None:
    flow = torch.randn(4, 3, 28, 28) * torch.tensor([0.3, 2.0, 50.0]).view(1, 3, 1, 1) + 7.0
    normalised = normalise_per_sample(flow)
    assert torch.allclose(normalised.amin(dim=(2, 3)), torch.zeros(4, 3), atol=1e-6)
    assert torch.allclose(normalised.amax(dim=(2, 3)), torch.ones(4, 3), atol=1e-6)


def test_constant_channel_gives_zeros_not_nan() -> None:
    flow = torch.rand(2, 3, 28, 28)
    flow[:, 2] = 3.5
    normalised = normalise_per_sample(flow)
    assert torch.isfinite(normalised).all()
    assert torch.equal(normalised[:, 2], torch.zeros(2, 28, 28))


def test_model_output_is_invariant_to_per_channel_scale_and_offset() -> None:
    model = AHMSANet(SMALL).eval()
    flow = torch.randn(3, 3, 28, 28)
    scaled = flow * torch.tensor([255.0, 0.01, 40.0]).view(1, 3, 1, 1) + torch.tensor([3.0, -1.0, 0.5]).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.allclose(model(flow), model(scaled), atol=1e-4)


def test_png_scaled_maps_equal_division_by_255() -> None:
    pixels = torch.randint(0, 256, (2, 3, 28, 28)).float()
    pixels[:, :, 0, 0], pixels[:, :, 0, 1] = 0.0, 255.0
    assert torch.allclose(normalise_per_sample(pixels), pixels / 255.0, atol=1e-6)


def test_probability_model_averages_member_softmax() -> None:
    torch.manual_seed(1)
    members = [AHMSANet(SMALL).eval() for _ in range(2)]
    flow = torch.rand(3, 3, 28, 28)
    with torch.no_grad():
        expected = (torch.softmax(members[0](flow), 1) + torch.softmax(members[1](flow), 1)) / 2
        probabilities = ProbabilityModel(members)(flow)
    assert torch.allclose(probabilities, expected, atol=1e-6)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(3), atol=1e-5)


def test_unknown_preset_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown preset 'gpu'"):
        get_preset("gpu")
    assert CPU.name == "cpu"


def test_mirror_average_is_invariant_to_mirroring_the_input() -> None:
    from models.ahmsa.network import mirror_flow

    torch.manual_seed(2)
    model = ProbabilityModel([AHMSANet(SMALL).eval()], mirror_average=True).eval()
    flow = torch.randn(3, 3, 28, 28)
    assert torch.equal(mirror_flow(mirror_flow(flow)), flow)
    assert torch.equal(mirror_flow(flow)[:, 0], -flow[:, 0].flip(-1))
    with torch.no_grad():
        assert torch.allclose(model(flow), model(mirror_flow(flow)), atol=1e-5)


def test_token_layout_computes_the_same_function() -> None:
    torch.manual_seed(3)
    model = AHMSANet(SMALL).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
        flow = torch.randn(4, 3, 28, 28)
        grid_output = model(flow)
        model.token_layout = True
        token_output = model(flow)
    assert grid_output.std() > 1e-3
    assert torch.allclose(grid_output, token_output, atol=1e-5)


def test_single_token_attention_shortcut_equals_full_attention() -> None:
    from models.ahmsa.network import SpatialSelfAttention

    torch.manual_seed(4)
    attention = SpatialSelfAttention(width=24, heads=3, head_width=8, dropout=0.0)
    grid = torch.randn(5, 24, 1, 1)
    attention.eval()
    with torch.no_grad():
        shortcut = attention(grid)
        shortcut_tokens = attention.forward_tokens(grid.flatten(1), count=1)
        attention.train()  # the full softmax path (dropout is 0)
        full = attention(grid)
    assert torch.allclose(shortcut, full, atol=1e-6)
    assert torch.allclose(shortcut_tokens, full.flatten(1), atol=1e-6)


@pytest.mark.parametrize("constant_u", [False, True])
def test_mirror_folded_into_the_embedding_equals_embedding_the_mirror(constant_u: bool) -> None:
    from models.ahmsa.network import mirror_flow

    torch.manual_seed(5)
    model = AHMSANet(SMALL).eval()
    flow = torch.randn(6, 3, 28, 28) * 40
    if constant_u:
        flow[:, 0] = 3.0
    with torch.no_grad():
        expected = model.embed(normalise_per_sample(torch.cat([flow, mirror_flow(flow)])))
        folded = model.embed_tokens_with_mirror(flow)
    expected = expected.flatten(2).transpose(1, 2).reshape(-1, SMALL.width)
    assert expected.std() > 1e-2
    assert torch.allclose(folded, expected, atol=1e-5)


def test_an_action_unit_head_leaves_the_classifier_and_its_initialisation_unchanged() -> None:
    from dataclasses import replace

    torch.manual_seed(6)
    plain = AHMSANet(SMALL).eval()
    torch.manual_seed(6)
    with_units = AHMSANet(replace(SMALL, unit_outputs=5)).eval()
    shared = plain.state_dict()
    assert all(torch.equal(value, with_units.state_dict()[key]) for key, value in shared.items())
    flow = torch.rand(3, 3, 28, 28)
    with torch.no_grad():
        logits, units = with_units.logits_and_units(flow)
        assert units.shape == (3, 5)
        assert torch.allclose(logits, plain(flow), atol=1e-6)
    with pytest.raises(ValueError, match="no action-unit head"):
        plain.logits_and_units(flow)

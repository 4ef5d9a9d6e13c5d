import torch

from models.ahmsa import augment
from models.ahmsa.network import normalise_per_sample


def test_mirror_negates_horizontal_motion_after_normalisation() -> None:
    raw = torch.randn(3, 3, 28, 28)
    mirrored_raw = raw.flip(-1).clone()
    mirrored_raw[:, 0] = -mirrored_raw[:, 0]
    expected = normalise_per_sample(mirrored_raw)
    assert torch.allclose(augment.mirror(normalise_per_sample(raw)), expected, atol=1e-6)


def test_mirror_twice_is_identity_and_keeps_v_and_strain_values() -> None:
    maps = torch.rand(2, 3, 28, 28)
    assert torch.allclose(augment.mirror(augment.mirror(maps)), maps, atol=1e-6)
    assert torch.equal(augment.mirror(maps)[:, 1:], maps[:, 1:].flip(-1))


def test_shift_moves_content_by_whole_pixels() -> None:
    generator = torch.Generator().manual_seed(0)
    maps = torch.zeros(16, 3, 28, 28)
    maps[:, :, 14, 14] = 1.0
    shifted = augment.random_shift(maps, 2, generator)
    assert shifted.shape == maps.shape
    for sample in shifted:
        rows, cols = torch.nonzero(sample[0], as_tuple=True)
        assert len(rows) == 1 and abs(int(rows[0]) - 14) <= 2 and abs(int(cols[0]) - 14) <= 2
    assert torch.equal(augment.random_shift(maps, 0, generator), maps)


def test_mixup_keeps_targets_a_distribution() -> None:
    generator = torch.Generator().manual_seed(3)
    maps = torch.rand(8, 3, 28, 28)
    targets = torch.nn.functional.one_hot(torch.arange(8) % 3, 3).float()
    mixed, mixed_targets, weights = augment.mixup(maps, targets, torch.ones(8), 0.4, generator)
    assert mixed.shape == maps.shape
    assert torch.allclose(mixed_targets.sum(dim=1), torch.ones(8))
    assert mixed_targets.max() >= 0.5


def test_strain_gamma_moves_the_strain_floor_and_keeps_its_range_and_the_flow() -> None:
    generator = torch.Generator().manual_seed(1)
    maps = normalise_per_sample(torch.rand(64, 3, 28, 28) ** 3)
    changed = augment.random_strain_gamma(maps, 2.5, generator)
    assert torch.equal(changed[:, :2], maps[:, :2])
    strain = changed[:, 2].flatten(1)
    assert torch.allclose(strain.amin(1), torch.zeros(64)) and torch.allclose(strain.amax(1), torch.ones(64))
    medians = strain.median(1).values / maps[:, 2].flatten(1).median(1).values
    assert medians.min() < 0.7 and medians.max() > 1.3  # both lower and higher floors are drawn
    assert torch.equal(augment.random_strain_gamma(maps, 1.0, generator), maps)


def test_blur_smooths_each_sample_and_keeps_constant_maps() -> None:
    generator = torch.Generator().manual_seed(2)
    maps = torch.rand(32, 3, 28, 28)
    blurred = augment.random_blur(maps, 1.0, generator)
    assert blurred.shape == maps.shape
    roughness = lambda x: (x[..., 1:] - x[..., :-1]).abs().mean()  # noqa: E731
    assert roughness(blurred) < 0.8 * roughness(maps)
    constant = torch.full((4, 3, 28, 28), 0.3)
    assert torch.allclose(augment.random_blur(constant, 1.0, generator), constant)
    assert torch.equal(augment.random_blur(maps, 0.0, generator), maps)

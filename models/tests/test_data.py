from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.ahmsa.data import DataError, load_dataset, load_map


def write_png(path: Path, size=(28, 28), mode="RGB") -> None:
    channels = {"RGB": 3, "RGBA": 4}.get(mode)
    shape = (size[1], size[0], channels) if channels else (size[1], size[0])
    Image.fromarray(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8), mode).save(path)


def test_wrong_png_size_names_the_file(tmp_path: Path) -> None:
    write_png(tmp_path / "bad.png", size=(32, 28))
    with pytest.raises(DataError, match=r"bad\.png.*32×28, expected 28×28"):
        load_map(tmp_path / "bad.png")


def test_wrong_channel_count_names_the_file(tmp_path: Path) -> None:
    write_png(tmp_path / "grey.png", mode="L")
    with pytest.raises(DataError, match=r"grey\.png.*mode L, expected RGB"):
        load_map(tmp_path / "grey.png")
    np.save(tmp_path / "two.npy", np.zeros((2, 28, 28), np.float32))
    with pytest.raises(DataError, match=r"two\.npy.*expected \(3, 28, 28\)"):
        load_map(tmp_path / "two.npy")


def test_npy_channels_last_and_label_names(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    channels_last = np.random.default_rng(1).normal(size=(28, 28, 3)).astype(np.float32)
    np.save(maps / "a.npy", channels_last)
    write_png(maps / "b.png")
    (tmp_path / "labels.csv").write_text("Subject,File,Label,DB\nx,a,surprise,mine\ny,b.png,0,mine\n")
    dataset = load_dataset(maps, tmp_path / "labels.csv")
    assert dataset.maps.shape == (2, 3, 28, 28)
    assert np.allclose(dataset.maps[0], channels_last.transpose(2, 0, 1))
    assert dataset.labels.tolist() == [2, 0] and dataset.subjects == ["x", "y"] and dataset.datasets == ["mine", "mine"]


def test_labels_for_unknown_files_are_an_error(tmp_path: Path) -> None:
    write_png(tmp_path / "s1_clip1.png")
    (tmp_path / "labels.csv").write_text("dataset,sub,filename_o,label\nsmic,s1,clip1,0\nsmic,s1,clip9,1\n")
    with pytest.raises(DataError, match="s1_clip9"):
        load_dataset(tmp_path, tmp_path / "labels.csv")


def test_empty_input_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("subject,file,label\n")
    with pytest.raises(DataError, match="no rows"):
        load_dataset(tmp_path, tmp_path / "labels.csv")
    (tmp_path / "nolabel.csv").write_text("subject,file\nx,a\n")
    with pytest.raises(DataError, match="'label' column"):
        load_dataset(tmp_path, tmp_path / "nolabel.csv")


def test_bad_label_value_names_the_row(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png")
    (tmp_path / "labels.csv").write_text("subject,file,label\nx,a,happy\n")
    with pytest.raises(DataError, match="row 2: label 'happy'"):
        load_dataset(tmp_path, tmp_path / "labels.csv")


def test_headerless_megc2019_ground_truth_and_maps_found_by_their_clip_name(tmp_path: Path) -> None:
    for name in ("006_006_1_2", "sub01_EP02_01f", "EP03_02", "a_x_1", "b_x_1"):
        write_png(tmp_path / f"{name}.png")
    labels = tmp_path / "gt.csv"
    labels.write_text("samm,6,006_1_2,0\ncasme2,sub01,EP02_01f,1\ncasme2,sub02,EP03_02,surprise\n")
    dataset = load_dataset(tmp_path, labels, warn=lambda text: None)
    assert dataset.names == ["006_006_1_2.png", "sub01_EP02_01f.png", "EP03_02.png"]
    assert dataset.subjects == ["6", "sub01", "sub02"] and dataset.datasets == ["samm", "casme2", "casme2"]
    assert dataset.labels.tolist() == [0, 1, 2]
    labels.write_text("smic,x,x_1,0\n")  # two maps end in _x_1, neither names subject x: not guessed
    with pytest.raises(DataError, match="x_x_1"):
        load_dataset(tmp_path, labels)
    labels.write_text("casme2,sub09,EP02_01f,0\n")  # sub01's map is not sub09's
    with pytest.raises(DataError, match="sub09_EP02_01f"):
        load_dataset(tmp_path, labels)
    labels.write_text("samm,6,006_1_2,0\ncasme2,sub01,EP02_01f,happy\n")  # no header: lines count from 1
    with pytest.raises(DataError, match="row 2: label 'happy'"):
        load_dataset(tmp_path, labels)


def test_megc2019_ground_truth_reads_the_composite_like_its_labels_csv(composite_3db: Path) -> None:
    ground_truth = composite_3db.parent / "annotations" / "megc2019" / "combined_3class_gt.csv"
    if not ground_truth.is_file():
        pytest.skip(f"{ground_truth} not found")
    from_megc = load_dataset(composite_3db / "flow", ground_truth)
    from_3db = load_dataset(composite_3db / "flow", composite_3db / "labels.csv")
    assert from_megc.names == from_3db.names and from_megc.labels.tolist() == from_3db.labels.tolist()
    assert len(from_megc.subject_order()) == 68


def test_reads_the_3db_layout(composite_3db: Path) -> None:
    dataset = load_dataset(composite_3db / "flow", composite_3db / "labels.csv")
    assert dataset.maps.shape == (442, 3, 28, 28)
    assert len(dataset.subject_order()) == 68
    assert np.bincount(dataset.labels).tolist() == [250, 109, 83]
    assert sorted(set(dataset.datasets)) == ["casme2", "samm", "smic"]


def test_action_units_per_clip_matched_by_subject_and_clip(tmp_path: Path) -> None:
    from models.ahmsa.data import load_unit_labels

    for name in ("sub01_EP02_01f", "sub02_EP02_01f", "006_006_1_2"):
        write_png(tmp_path / f"{name}.png")
    (tmp_path / "labels.csv").write_text(
        "dataset,sub,filename_o,label\ncasme2,sub01,EP02_01f,0\ncasme2,sub02,EP02_01f,1\nsamm,006,006_1_2,2\n")
    dataset = load_dataset(tmp_path, tmp_path / "labels.csv")
    casme = tmp_path / "casme2-units.csv"
    casme.write_text("dataset,subject,clip,aus\nCASME II,01,EP02_01f,L12+R14\ncasme2,09,EP02_01f,4\n")
    samm = tmp_path / "samm-units.csv"
    samm.write_text("subject,clip,aus\n6,006_1_2,1+AU2\n")  # no dataset column: subject and clip decide
    units = load_unit_labels([casme, samm], dataset)
    assert units.units == [1, 2, 12, 14]
    assert units.coded.tolist() == [True, False, True]
    assert units.targets.tolist() == [[0, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 0]]
    samm.write_text("subject,clip,aus\n6,006_1_2,smile\n")
    with pytest.raises(DataError, match="row 2: 'smile' is not an action unit"):
        load_unit_labels([samm], dataset)
    samm.write_text("clip,units\n006_1_2,12\n")
    with pytest.raises(DataError, match="needs subject, clip and aus columns"):
        load_unit_labels([samm], dataset)


def test_labels_as_excel_saves_them_utf16_and_semicolons(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png")
    (tmp_path / "labels.csv").write_bytes("subject;file;label\r\nx;a;surprise\r\n".encode("utf-16"))
    dataset = load_dataset(tmp_path, tmp_path / "labels.csv")
    assert dataset.names == ["a.png"] and dataset.labels.tolist() == [2]
    (tmp_path / "labels.csv").write_bytes(b"subject,file,label\nx,a,0\n\xff\xfe\xfd,a,1\n")
    with pytest.raises(DataError, match=r"labels\.csv: not UTF-8 or UTF-16 text"):
        load_dataset(tmp_path, tmp_path / "labels.csv")


def test_a_map_labelled_twice_counts_once_and_two_labels_leave_it_out(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_png(tmp_path / f"{name}.png")
    (tmp_path / "labels.csv").write_text("subject,file,label\nx,a,0\nx,a,0\nx,b,1\nx,b,2\n")
    warnings: list[str] = []
    dataset = load_dataset(tmp_path, tmp_path / "labels.csv", warn=warnings.append)
    assert dataset.names == ["a.png"] and dataset.labels.tolist() == [0]
    assert warnings == ["warning: " + str(tmp_path / "labels.csv") +
                        ", rows 4 and 5 label b.png positive and surprise: the map is left out"]


def test_palette_png_is_read_as_its_rgb_colours(tmp_path: Path) -> None:
    write_png(tmp_path / "rgb.png")
    with Image.open(tmp_path / "rgb.png") as image:
        image.quantize(colors=64).save(tmp_path / "palette.png")
    with Image.open(tmp_path / "palette.png") as image:
        expected = np.asarray(image.convert("RGB"), dtype=np.float32).transpose(2, 0, 1)
    assert np.array_equal(load_map(tmp_path / "palette.png"), expected)


def test_constant_maps_carry_no_motion_and_are_refused(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((28, 28, 3), np.uint8)).save(tmp_path / "black.png")
    np.save(tmp_path / "flat.npy", np.full((3, 28, 28), 7.5, np.float32))
    for name in ("black.png", "flat.npy"):
        with pytest.raises(DataError, match=rf"{name}: every channel is constant"):
            load_map(tmp_path / name)
    one_moving = np.zeros((3, 28, 28), np.float32)
    one_moving[2, 3, 4] = 1.0  # strain alone still carries something
    np.save(tmp_path / "strain.npy", one_moving)
    assert load_map(tmp_path / "strain.npy")[2, 3, 4] == 1.0


def test_complex_and_non_numeric_npy_are_refused(tmp_path: Path) -> None:
    values = np.random.default_rng(2).normal(size=(3, 28, 28))
    np.save(tmp_path / "complex.npy", values + 1j * values)
    np.save(tmp_path / "bool.npy", values > 0)
    np.save(tmp_path / "text.npy", values.astype(str))
    for name in ("complex.npy", "bool.npy", "text.npy"):
        with pytest.raises(DataError, match=rf"{name}: values of type .*expected real numbers"):
            load_map(tmp_path / name)
    np.save(tmp_path / "integers.npy", (values * 100).astype(np.int16))
    assert load_map(tmp_path / "integers.npy").dtype == np.float32


def test_a_jpeg_named_png_is_refused(tmp_path: Path) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (28, 28, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "renamed.png", format="JPEG")
    with pytest.raises(DataError, match=r"renamed\.png: the file holds JPEG data, not PNG"):
        load_map(tmp_path / "renamed.png")


def test_labels_written_as_integral_floats_are_read(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        write_png(tmp_path / f"{name}.png")
    (tmp_path / "labels.csv").write_text("subject,file,label\nx,a,0.0\nx,b,1.0\ny,c,2.00\n")
    assert load_dataset(tmp_path, tmp_path / "labels.csv").labels.tolist() == [0, 1, 2]
    (tmp_path / "labels.csv").write_text("subject,file,label\nx,a,1.5\n")
    with pytest.raises(DataError, match="row 2: label '1.5'"):
        load_dataset(tmp_path, tmp_path / "labels.csv")
    (tmp_path / "gt.csv").write_text("smic,x,a,1.0\n")  # MEGC's headerless layout, pandas-written
    assert load_dataset(tmp_path, tmp_path / "gt.csv", warn=lambda text: None).labels.tolist() == [1]

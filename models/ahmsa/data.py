"""Loading 28×28 flow maps and their labels.

Accepted labels CSV columns (matched by header name, case-insensitive):
- map file: `file`, `filename`, `path` or `map` (relative to the maps folder; extension optional:
  .png then .npy are tried); or a clip, `filename_o` or `clip` → `<subject>_<clip>`, else `<clip>`;
- subject: `subject` or `sub` (required; one LOSO fold per person, see folds.py);
- label: `label`, either 0/1/2 (also 0.0/1.0/2.0) or negative/positive/surprise (required);
- source dataset: `dataset` or `db` (optional; used for per-dataset metrics; default "all").
A file without a header whose rows are `db,subject,clip,label` (MEGC2019's combined_3class_gt.csv)
is read as those columns. A name that matches no file falls back to the one map named
`<anything>_<name>` (MEGC2019 writes SAMM subject 006 as 6; the maps keep 006_006_1_2.png).

Map files: PNG 28×28 RGB (R=u, G=v, B=strain, any 8-bit scaling) or NPY float [3,28,28] or
[28,28,3] in (u, v, strain) order, any scale (the model normalises per sample); a map whose every
channel is constant carries no motion and is refused.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CLASS_NAMES = ("negative", "positive", "surprise")
NUM_CLASSES = len(CLASS_NAMES)
MAP_SIZE = 28
FILE_COLUMNS = ("file", "filename", "path", "map")
CLIP_COLUMNS = ("filename_o", "clip")
HEADERLESS_COLUMNS = ["db", "subject", "clip", "label"]  # MEGC2019 ground truth
SUBJECT_COLUMNS = ("subject", "sub")
DATASET_COLUMNS = ("dataset", "db")
MAP_EXTENSIONS = (".png", ".npy")


class DataError(ValueError):
    """A problem with the maps or labels the user can fix; the message names the file."""


@dataclass
class FlowDataset:
    maps: np.ndarray  # float32 [N, 3, 28, 28]
    labels: np.ndarray  # int64 [N]
    subjects: list[str]
    datasets: list[str]
    names: list[str]
    clips: list[str]  # the labels' clip column, else the map's file name without extension

    def __len__(self) -> int:
        return len(self.labels)

    def subject_order(self) -> list[str]:
        """Subjects in first-appearance order (the fold order)."""
        return list(dict.fromkeys(self.subjects))


@dataclass
class UnitTargets:
    """Action units coded for each map: targets [N, units] of 0/1, coded [N] (False: not coded)."""

    targets: np.ndarray
    coded: np.ndarray
    units: list[int]

    def subset(self, mask: np.ndarray) -> "UnitTargets":
        return UnitTargets(self.targets[mask], self.coded[mask], self.units)


def load_unit_labels(paths: list[Path], dataset: FlowDataset) -> UnitTargets:
    """Action units per map from CSVs with subject (`subject`|`sub`), clip (`clip`|`filename_o`), `aus`
    ('1+2', 'L12+R14'; sides and intensities are dropped) and optionally `dataset`|`db`, as
    `mer-studio import --units-csv` writes them. Rows match maps by subject, clip and dataset,
    spelled loosely (CASME II subject 01 is sub01). Maps no row names are not coded."""
    coded_units: dict[tuple[str, str, str], set[int]] = {}
    for path in paths:
        header, rows, first_line = _read_rows(Path(path))
        subject_column, clip_column = _column(header, SUBJECT_COLUMNS), _column(header, CLIP_COLUMNS)
        units_column, dataset_column = _column(header, ("aus", "au")), _column(header, DATASET_COLUMNS)
        if subject_column is None or clip_column is None or units_column is None:
            raise DataError(f"{path}: needs subject, clip and aus columns (as mer-studio import --units-csv writes)")
        for row_number, row in enumerate(rows, start=first_line):
            key = (_dataset_key(row.get(dataset_column) or "") if dataset_column else "",
                   _subject_key(row.get(subject_column) or ""), _clip_key(row.get(clip_column) or ""))
            coded_units[key] = _parse_units(row.get(units_column) or "", row_number, Path(path))
    found: dict[int, set[int]] = {}
    for position, (name, subject, clip) in enumerate(zip(dataset.datasets, dataset.subjects, dataset.clips)):
        keys = [(_dataset_key(name), _subject_key(subject), _clip_key(clip)), ("", _subject_key(subject), _clip_key(clip))]
        present = next((coded_units[key] for key in keys if key in coded_units), None)
        if present is not None:
            found[position] = present
    if not found:
        raise DataError(f"{', '.join(map(str, paths))}: no row names a labelled map (matched by subject and clip)")
    units = sorted(set().union(*found.values()))
    targets = np.zeros((len(dataset), len(units)), dtype=np.float32)
    coded = np.zeros(len(dataset), dtype=bool)
    for position, present in found.items():
        coded[position] = True
        targets[position, [units.index(unit) for unit in present]] = 1.0
    return UnitTargets(targets, coded, units)


def _subject_key(subject: str) -> str:
    """'sub01', '01', 's1' → '1' (one number); otherwise lower case, numbers without leading zeros."""
    numbers = re.findall(r"\d+", subject)
    return str(int(numbers[0])) if len(numbers) == 1 else _clip_key(subject)


def _clip_key(clip: str) -> str:
    return re.sub(r"\d+", lambda digits: str(int(digits.group())), clip.strip().lower())


def _dataset_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return {"casmeii": "casme2", "casmeiii": "casme3"}.get(key, "smic" if key.startswith("smic") else key)


def _parse_units(text: str, row_number: int, labels_path: Path) -> set[int]:
    units = set()
    for piece in text.replace(" ", "").split("+"):
        digits = "".join(char for char in piece if char.isdigit())
        if piece and not digits:
            raise DataError(f"{labels_path}, row {row_number}: '{piece}' is not an action unit")
        if digits:
            units.add(int(digits))
    return units


def map_digest(array: np.ndarray) -> str:
    """A map's fingerprint as the model sees it: each channel stretched to [0, 1] over its own
    minimum and maximum (as the model's input normalisation does) and rounded to 256 levels; the
    SHA-256 of those [3, 28, 28] bytes, first 16 hex digits. A copy saved at another scale (x/255,
    float or 8-bit) has the same fingerprint. The app computes the same (src/main/model/card.ts)
    from the maps it reads, to say which were training data.
    """
    values = np.asarray(array, dtype=np.float64).reshape(3, -1)
    low = values.min(axis=1, keepdims=True)
    span = np.maximum(values.max(axis=1, keepdims=True) - low, 1e-6)
    levels = np.floor((values - low) / span * 255 + 0.5).astype(np.uint8)
    return hashlib.sha256(levels.tobytes()).hexdigest()[:16]


def load_map(path: Path) -> np.ndarray:
    """One map as float32 [3, 28, 28]; raises DataError naming the file when it is not one."""
    array = _load_npy(path) if path.suffix.lower() == ".npy" else _load_png(path)
    if all(channel.min() == channel.max() for channel in array):
        raise DataError(f"{path}: every channel is constant: the map carries no motion")
    return array


def _load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read as .npy ({error})") from error
    if np.issubdtype(array.dtype, np.complexfloating) or not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{path}: values of type {array.dtype}, expected real numbers (float or integer)")
    if array.shape == (MAP_SIZE, MAP_SIZE, 3):
        array = array.transpose(2, 0, 1)
    if array.shape != (3, MAP_SIZE, MAP_SIZE):
        raise DataError(f"{path}: shape {array.shape}, expected (3, 28, 28) or (28, 28, 3)")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise DataError(f"{path}: contains NaN or infinite values")
    return array


def _load_png(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as opened:
            if opened.format != "PNG":
                raise DataError(f"{path}: the file holds {opened.format} data, not PNG (a lossy format such as "
                                "JPEG changes the map's values: save it as PNG)")
            # A palette PNG holds RGB colours by index: read as the app reads it (sharp expands it).
            image = opened.convert("RGB") if opened.mode == "P" and "transparency" not in opened.info else opened
            mode, size = image.mode, image.size
            if mode != "RGB":
                raise DataError(f"{path}: image mode {mode}, expected RGB (R=u, G=v, B=strain)")
            if size != (MAP_SIZE, MAP_SIZE):
                raise DataError(f"{path}: size {size[0]}×{size[1]}, expected 28×28")
            return np.asarray(image, dtype=np.float32).transpose(2, 0, 1).copy()
    except (OSError, SyntaxError) as error:
        raise DataError(f"{path}: cannot read as an image ({error})") from error


def _column(header: dict[str, str], candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        if candidate in header:
            return header[candidate]
    return None


def _label_of(value: str) -> int | None:
    """0/1/2 (also written 1.0, as pandas writes integer columns with gaps) or a class name."""
    text = value.strip().lower()
    if text in CLASS_NAMES:
        return CLASS_NAMES.index(text)
    number = re.fullmatch(r"([012])(\.0+)?", text)
    return int(number.group(1)) if number else None


def _parse_label(value: str, row_number: int, labels_path: Path) -> int:
    label = _label_of(value)
    if label is not None:
        return label
    raise DataError(f"{labels_path}, row {row_number}: label '{value}' is not 0/1/2 or {'/'.join(CLASS_NAMES)}")


def _resolve_map(maps_dir: Path, name: str) -> Path | None:
    candidate = maps_dir / name
    if candidate.suffix.lower() in MAP_EXTENSIONS:
        return candidate if candidate.is_file() else None
    for extension in MAP_EXTENSIONS:
        with_extension = maps_dir / f"{name}{extension}"
        if with_extension.is_file():
            return with_extension
    return None


def _maps_by_suffix(maps_dir: Path) -> dict[str, list[Path]]:
    """Every map of the folder under each name it ends with after an underscore (a_b_c: b_c, c)."""
    index: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(maps_dir.iterdir()):
        if path.suffix.lower() in MAP_EXTENSIONS and path.is_file():
            parts = path.stem.split("_")
            for start in range(1, len(parts)):
                index["_".join(parts[start:])].append(path)
    return index


def _find_map(maps_dir: Path, names: list[str], by_suffix: dict[str, list[Path]], subject: str) -> Path | None:
    """The first name that is a map, else the one map named <..._subject>_<last name> with the
    subject spelled differently (SAMM 6 is 006). Never another subject's map: CASME II clip names
    repeat across subjects."""
    for name in names:
        path = _resolve_map(maps_dir, name)
        if path is not None:
            return path
    last = names[-1]
    stem = last[: -len(Path(last).suffix)] if Path(last).suffix.lower() in MAP_EXTENSIONS else last
    matches = [path for path in by_suffix.get(stem, []) if _names_subject(path.stem[: -len(stem) - 1], subject)]
    stems = {path.stem for path in matches}
    return matches[0] if len(stems) == 1 else None  # .png first when a stem has both files


def _names_subject(prefix: str, subject: str) -> bool:
    """Whether a map name's part before the clip ends in the subject (006 is 6; sub09 is not sub02)."""
    return not subject or _subject_key(prefix.rsplit("_", 1)[-1]) == _subject_key(subject)


def _decode_labels(labels_path: Path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with its BOM, as Excel saves "Unicode text"."""
    data = labels_path.read_bytes()
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(f"{labels_path}: not UTF-8 or UTF-16 text (byte {error.start}); "
                        "save it as CSV UTF-8") from None


def _read_rows(labels_path: Path) -> tuple[dict[str, str], list[dict[str, str]], int]:
    """The header (lower-case name → name as written), the rows as dicts, the first row's line number."""
    text = _decode_labels(labels_path)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)  # Excel writes ; or tab in some locales
    lines = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
             if any(cell.strip() for cell in row)]
    if not lines:
        raise DataError(f"{labels_path}: empty labels file")
    first = lines[0]
    headerless = len(first) == len(HEADERLESS_COLUMNS) and _label_of(first[-1]) is not None
    fieldnames = HEADERLESS_COLUMNS if headerless else first
    rows = [dict(zip(fieldnames, line)) for line in (lines if headerless else lines[1:])]
    return {name.strip().lower(): name for name in fieldnames if name}, rows, 1 if headerless else 2


def load_dataset(maps_dir: Path, labels_path: Path, warn=lambda text: print(text, file=sys.stderr)) -> FlowDataset:
    maps_dir, labels_path = Path(maps_dir), Path(labels_path)
    if not maps_dir.is_dir():
        raise DataError(f"{maps_dir}: maps folder not found")
    if not labels_path.is_file():
        raise DataError(f"{labels_path}: labels file not found")
    header, rows, first_line = _read_rows(labels_path)
    file_column = _column(header, FILE_COLUMNS)
    subject_column = _column(header, SUBJECT_COLUMNS)
    dataset_column = _column(header, DATASET_COLUMNS)
    label_column = header.get("label")
    clip_column = _column(header, CLIP_COLUMNS)
    if subject_column is None or label_column is None:
        raise DataError(f"{labels_path}: needs a subject column ({'/'.join(SUBJECT_COLUMNS)}) and a 'label' column "
                        "(or MEGC2019's headerless db,subject,clip,label)")
    if file_column is None and clip_column is None:
        raise DataError(f"{labels_path}: needs a map file column ({'/'.join(FILE_COLUMNS)}) or a clip column "
                        f"({'/'.join(CLIP_COLUMNS)})")
    if not rows:
        raise DataError(f"{labels_path}: no rows")
    by_suffix = _maps_by_suffix(maps_dir)

    maps, labels, subjects, datasets, names, clips = [], [], [], [], [], []
    unknown: list[str] = []
    row_of: dict[str, int] = {}  # map name → the row that labelled it
    conflicting: set[str] = set()
    for row_number, row in enumerate(rows, start=first_line):
        subject = (row.get(subject_column) or "").strip()
        clip = (row.get(clip_column) or "").strip() if clip_column else ""
        if file_column is not None and (row.get(file_column) or "").strip():
            candidates = [row[file_column].strip()]
        else:
            candidates = [f"{subject}_{clip}", clip]
        path = _find_map(maps_dir, candidates, by_suffix, subject)
        if path is None:
            unknown.append(candidates[0])
            continue
        if not subject:
            raise DataError(f"{labels_path}, row {row_number}: empty subject")
        label = _parse_label(row.get(label_column) or "", row_number, labels_path)
        if path.name in row_of:
            earlier = names.index(path.name)
            if labels[earlier] != label:
                conflicting.add(path.name)
                warn(f"warning: {labels_path}, rows {row_of[path.name]} and {row_number} label {path.name} "
                     f"{CLASS_NAMES[labels[earlier]]} and {CLASS_NAMES[label]}: the map is left out")
            continue  # a repeated row adds nothing; a second label must not count the map twice
        row_of[path.name] = row_number
        maps.append(load_map(path))
        labels.append(label)
        subjects.append(subject)
        datasets.append((row.get(dataset_column) or "all").strip().lower() if dataset_column else "all")
        names.append(path.name)
        clips.append(clip or path.stem)
    keep = [i for i, name in enumerate(names) if name not in conflicting]
    maps, labels, subjects, datasets, names, clips = ([column[i] for i in keep]
                                                      for column in (maps, labels, subjects, datasets, names, clips))
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" … ({len(unknown)} in all)" if len(unknown) > 5 else "")
        raise DataError(f"{labels_path}: labels name maps not found in {maps_dir}: {shown}")
    if not maps:
        raise DataError(f"{labels_path}: no labelled maps")
    listed = set(row_of)
    extra = [p.name for p in maps_dir.iterdir() if p.suffix.lower() in MAP_EXTENSIONS and p.name not in listed]
    if extra:
        warn(f"warning: {len(extra)} map(s) in {maps_dir} have no label and are ignored (e.g. {extra[0]})")
    return FlowDataset(
        maps=np.stack(maps).astype(np.float32),
        labels=np.asarray(labels, dtype=np.int64),
        subjects=subjects,
        datasets=datasets,
        names=names,
        clips=clips,
    )

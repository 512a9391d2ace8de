"""Where the speech model runs: CUDA when CTranslate2 sees a device, else the CPU (the device
count and the GPU's compute types faked: no GPU on the test machines)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ctranslate2
import faster_whisper
import pytest

from store import cli
from store.transcripts.device import choose
from store.transcripts.worker import Transcriber

GPU_TYPES = {"float32", "float16", "int8", "int8_float16", "int8_float32", "bfloat16"}


def test_auto_takes_a_cuda_device_with_int8_float16_and_the_cpu_without() -> None:
    gpu = choose("auto", lambda: 1, lambda: GPU_TYPES)
    assert (gpu.device, gpu.compute_type) == ("cuda", "int8_float16")
    none = choose("auto", lambda: 0, lambda: GPU_TYPES)
    assert (none.device, none.compute_type) == ("cpu", "int8")
    assert "no CUDA device" in none.reason


def test_an_old_gpu_gets_what_it_supports_and_cpu_is_kept_when_asked() -> None:
    old = choose("auto", lambda: 2, lambda: {"float32", "int8_float32"})
    assert (old.device, old.compute_type) == ("cuda", "int8_float32")
    cpu = choose("cpu", lambda: 2, lambda: GPU_TYPES)
    assert (cpu.device, cpu.compute_type) == ("cpu", "int8")


def test_cuda_without_a_device_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="sees no CUDA device"):
        choose("cuda", lambda: 0, lambda: set())
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        choose("tpu", lambda: 1, lambda: GPU_TYPES)


def test_the_model_is_loaded_where_chosen_and_the_log_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    loaded: list[dict[str, Any]] = []

    class Model:  # the model file's boundary: what WhisperModel is asked for
        def __init__(self, path: str, **options: Any) -> None:
            loaded.append({"path": path, **options})

    monkeypatch.setattr(faster_whisper, "WhisperModel", Model)
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda device: GPU_TYPES)
    with caplog.at_level(logging.INFO, "store.transcripts"):
        Transcriber(Path("/models/base"), threads=2)
    assert loaded[-1]["device"] == "cuda" and loaded[-1]["compute_type"] == "int8_float16"
    assert "speech model on cuda, int8_float16" in caplog.text
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    Transcriber(Path("/models/base"), threads=2)
    assert (loaded[-1]["device"], loaded[-1]["compute_type"]) == ("cpu", "int8")


def test_transcribe_device_cuda_without_a_gpu_stops_with_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    code = cli.main(["transcribe", "--data", str(tmp_path), "--device", "cuda", "--once"])
    assert code == 1
    assert "--device cuda: CTranslate2 sees no CUDA device" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()  # stopped before the model was touched

"""Where the speech model runs: a CUDA GPU when CTranslate2 sees one, else the CPU.

On a GPU the weights stay int8 and the activations run in float16 (`int8_float16`: the
memory of int8, the speed of the GPU's half precision), falling back to what the GPU
supports; on the CPU int8. `transcribe --device auto|cpu|cuda` chooses (auto by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEVICES = ("auto", "cpu", "cuda")
CPU_COMPUTE = "int8"
# The GPU compute types, best first; the first the device supports is used.
CUDA_COMPUTE = ("int8_float16", "float16", "int8_float32", "float32")


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu" or "cuda"
    compute_type: str
    reason: str  # said in the worker's log


def _cuda_count() -> int:
    import ctranslate2  # the speech extra, like faster-whisper

    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:  # a CUDA driver that cannot be loaded: no usable GPU
        return 0


def _cuda_types() -> set[str]:
    import ctranslate2

    return set(ctranslate2.get_supported_compute_types("cuda"))


def choose(
    requested: str = "auto",
    cuda_count: Callable[[], int] = _cuda_count,
    cuda_types: Callable[[], Iterable[str]] = _cuda_types,
) -> Placement:
    """The device and compute type for `requested` (one of DEVICES). ``cuda`` without a
    CUDA device CTranslate2 can use is an error naming the problem, not a silent CPU."""
    if requested not in DEVICES:
        raise ValueError(f"unknown device {requested!r}: use {', '.join(DEVICES)}")
    if requested == "cpu":
        return Placement("cpu", CPU_COMPUTE, "asked for the CPU")
    count = cuda_count()
    if count <= 0:
        if requested == "cuda":
            raise ValueError(
                "--device cuda: CTranslate2 sees no CUDA device (no GPU, no driver, or a "
                "CTranslate2 built without CUDA); use --device cpu or auto"
            )
        return Placement("cpu", CPU_COMPUTE, "CTranslate2 sees no CUDA device")
    supported = set(cuda_types())
    compute = next((c for c in CUDA_COMPUTE if c in supported), None)
    if compute is None:
        if requested == "cuda":
            raise ValueError(
                f"--device cuda: the GPU supports none of {', '.join(CUDA_COMPUTE)} "
                f"(only {', '.join(sorted(supported)) or 'nothing'})"
            )
        return Placement("cpu", CPU_COMPUTE, "the CUDA device supports no usable compute type")
    what = "asked for CUDA" if requested == "cuda" else "CTranslate2 sees a CUDA device"
    return Placement("cuda", compute, f"{what} ({count} in all)")

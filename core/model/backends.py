"""Where the image tower runs: torch (the reference), ONNX Runtime fp32 (the default) or int8.

On the machines measured (perf-anchors.md) ONNX Runtime's fp32 kernels run the ViT-B/32 tower
about twice as fast as torch's, with the same output (cosine 1.0 on the probe). The tower is
made once per model, without its projection — it outputs the feature h, and the projection,
which ProLIP may replace, is applied by the encoder in numpy — and cached as a file. For the
plain ViTs graphs.py builds it from the weights without torch (graph_tower, cached_session);
for the models that need torch it is torch's export, checked against torch on a probe batch
before it is kept (one that disagrees is not used).

int8 (dynamic quantization, per-channel weights) is faster again but not exact. It is offered,
off by default: enabling it by default needs a check on real weights (retrieval overlap,
zero-shot agreement) that cannot run without them.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import UserError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = "onnx"
BACKEND_VARIABLE = "PHOTOTAG_BACKEND"
# The least cosine between ONNX Runtime's and torch's features for the export to be used.
AGREEMENT = 0.9999
_PROBE_SEED = 0

_preferred: str | None = None

ImageTower = Callable[[np.ndarray], np.ndarray]
# stage(what is happening, step, steps): the one-time conversion's steps, so no wait is silent
# (measured on 2 cores: ~8 s for ViT-B-32's export and check, ~6 s more for int8).
StageCallback = Callable[[str, int, int], None]
EXPORT_STAGES = ("converting the image model for this computer (once)", "checking the conversion")
QUANTIZE_STAGE = "making the int8 model (once)"
# The torch-free towers' one-time build from the weights (onnx_encoder.py; ViT-B-32: 14 s the
# image tower, 10 s the text tower at load average 21).
GRAPH_STAGES = {
    ".visual.onnx": "converting the image model for this computer (once)",
    ".text.onnx": "converting the text model for this computer (once)",
}


def prefer(backend: str | None) -> None:
    """The backend for this process (the command line's --backend); None: the environment's
    PHOTOTAG_BACKEND, else the default."""
    global _preferred
    _preferred = _checked(backend) if backend is not None else None


def chosen() -> str:
    if _preferred is not None:
        return _preferred
    return _checked(os.environ.get(BACKEND_VARIABLE) or DEFAULT_BACKEND)


def _checked(backend: str) -> str:
    if backend not in BACKENDS:
        raise UserError(f"unknown backend '{backend}' (known: {', '.join(BACKENDS)})")
    return backend


def torch_tower(visual: torch.nn.Module) -> ImageTower:
    import torch

    def run(pixels: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return visual(torch.from_numpy(pixels)).numpy()

    return run


def onnx_tower(path: Path) -> ImageTower:
    session = onnx_session(path)
    (name,) = (i.name for i in session.get_inputs())

    def run(pixels: np.ndarray) -> np.ndarray:
        return session.run(None, {name: pixels})[0]

    return run


def onnx_session(path: Path):
    """A session on all cores that sleeps between calls: spinning threads would take the CPU
    from the decode workers while they prepare the next batch."""
    import onnxruntime as ort

    # A second switch; ORT_DISABLE_TELEMETRY (set in phototag.core) is the one that counts.
    ort.disable_telemetry_events()
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cached_session(path: Path, write: Callable[[Path], None]):
    """A session on the graph cached at `path`; `write` builds it there first when it is missing
    or damaged (graphs.py's torch-free towers)."""
    if path.exists():
        try:
            return onnx_session(path)
        except Exception as exc:  # a damaged cache file: build again
            log.debug("rebuilding %s: %s", path, exc)
    with replacing(path) as temporary:
        write(temporary)
        session = onnx_session(temporary)
    return session


def graph_tower(
    backend: str, path: Path, write: Callable[[Path], None], stage: StageCallback | None = None
) -> ImageTower:
    """The image tower of a graph built without torch: fp32, or its int8 quantization (which
    `stage` hears when it has to be made)."""
    session = cached_session(path, write)
    if backend == "onnx-int8":
        return onnx_tower(_quantized(path, lambda: stage and stage(QUANTIZE_STAGE, 0, 1)))

    def run(pixels: np.ndarray) -> np.ndarray:
        return session.run(None, {"pixels": pixels})[0]

    return run


def image_tower(
    visual: torch.nn.Module,
    backend: str,
    onnx_path: Path,
    size: int,
    stage: StageCallback | None = None,
):
    """(tower, the backend it really is): torch when the ONNX export fails or disagrees.
    `stage` hears each step of a conversion that has to run (none when it is cached)."""
    if backend == "torch":
        return torch_tower(visual), "torch"
    stage = stage or (lambda what, step, steps: None)
    steps = len(EXPORT_STAGES) + (backend == "onnx-int8")
    try:
        tower = _verified_onnx(visual, onnx_path, size, lambda what, step: stage(what, step, steps))
    except Exception as exc:
        log.warning("the ONNX image tower is not used (%s); running torch instead", exc)
        return torch_tower(visual), "torch"
    if backend == "onnx":
        return tower, backend
    return onnx_tower(_quantized(onnx_path, lambda: stage(QUANTIZE_STAGE, steps - 1, steps))), (
        backend
    )


def probe_pixels(size: int, count: int = 4) -> np.ndarray:
    """Normalised-pixel noise: every input the tower can see is covered by its range."""
    rng = np.random.default_rng(_PROBE_SEED)
    return rng.standard_normal((count, 3, size, size)).astype(np.float32)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The least row-wise cosine between two feature batches."""
    cosines = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cosines.min())


def _verified_onnx(
    visual: torch.nn.Module, path: Path, size: int, stage: Callable[[str, int], None]
) -> ImageTower:
    """The cached export, else a new one, kept only when it agrees with torch."""
    if path.exists():
        try:
            return onnx_tower(path)
        except Exception as exc:  # a damaged cache file: export again
            log.debug("re-exporting %s: %s", path, exc)
    stage(EXPORT_STAGES[0], 0)
    probe = probe_pixels(size)
    expected = torch_tower(visual)(probe)
    with replacing(path) as temporary:
        _export(visual, temporary, probe)
        stage(EXPORT_STAGES[1], 1)
        tower = onnx_tower(temporary)
        cosine = agreement(tower(probe), expected)
        if not cosine >= AGREEMENT:
            raise ValueError(f"its output disagrees with torch: cosine {cosine:.6f}")
    return tower


def _export(visual: torch.nn.Module, path: Path, probe: np.ndarray) -> None:
    """The TorchScript exporter writes one self-contained file (the dynamo exporter writes the
    weights beside it, which cannot be replaced atomically) and needs no extra package."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, not gone
        torch.onnx.export(
            visual,
            (torch.from_numpy(probe[:2]),),
            str(path),
            dynamo=False,
            input_names=["pixels"],
            output_names=["features"],
            dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
        )


def int8_path(fp32_path: Path) -> Path:
    """Where the int8 quantization of a tower is cached: beside its fp32 graph."""
    return fp32_path.with_name(fp32_path.name.removesuffix(".onnx") + ".int8.onnx")


def _quantized(fp32_path: Path, starting: Callable[[], None]) -> Path:
    """int8 weights per output channel, activations quantized on the fly; cached beside fp32.

    Weights use 7 bits (reduce_range): x86 u8×s8 kernels without VNNI saturate on full-range
    weights, and on ViT-B/32 the full range measured a cosine of 0.986 to fp32 against 0.99986
    with 7 bits, at the same speed."""
    path = int8_path(fp32_path)
    if path.exists():
        return path
    starting()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger(), replacing(path) as temporary:
        quantize_dynamic(
            fp32_path, temporary, per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
        )
    return path


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantizer logs advice about pre-processing through the root logger at every run,
    which would also give the root logger a default handler (logging.warning calls basicConfig
    on a root logger without one)."""
    import onnxruntime

    package_dir = os.path.dirname(onnxruntime.__file__)

    def keep(record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(package_dir)

    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)
        root.removeHandler(handler)

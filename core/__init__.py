"""Phototag's engine: no Qt here, so the CLI, the GUI and the tests share one code path."""

import os
import sys

# Privacy is the product: the model hub stays offline in every process unless the user runs
# `phototag model download` (see phototag.core.model.network.online). huggingface_hub reads this
# variable once, at import, so it is set before anything can import it.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# ONNX Runtime 1.29+ ships 1DS telemetry on Linux and macOS: about 9 s after the first session it
# writes a device UUID under ~/.cache/Microsoft/ and sends DNS queries for Microsoft's collector,
# from C++ where no Python audit hook sees it. ORT_DISABLE_TELEMETRY=1 set before ONNX Runtime
# initialises is its one full opt-out (measured on 1.32: no file, no socket; the runtime API
# disable_telemetry_events() alone still sends). Spawned decode workers inherit the variable.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

# A process that imported huggingface_hub first (a plugin, a test) has already read the variable:
# pin its switch too, so import order can never put Phototag online.
if "huggingface_hub.constants" in sys.modules:
    vars(sys.modules["huggingface_hub.constants"])["HF_HUB_OFFLINE"] = True

# ----- the public API: what app/ and cli/ may import (tests/test_public_api.py checks it) -------
# Names load on first use (module __getattr__), so `import phototag.core` stays as light as the
# privacy switches above: the command line answers `phototag status` without loading the model
# code, the watcher or the evaluation. A function the app or the command line needs from a
# submodule is re-exported here, under a name that says what it is, rather than moved.

# ruff: noqa: F401  (the TYPE_CHECKING imports below are the re-exports, listed in __all__)
from typing import TYPE_CHECKING

_PUBLIC: dict[str, tuple[str, str]] = {
    # the facade and its results (core/library.py)
    "Library": ("library", "Library"),
    "Album": ("library", "Album"),
    "PhotoGroup": ("library", "PhotoGroup"),
    "quote_label": ("finding.query", "quote"),
    "ExampleChange": ("library", "ExampleChange"),
    "Folder": ("library", "Folder"),
    "LabelInfo": ("library", "LabelInfo"),
    "LabelScore": ("browse", "LabelScore"),
    "Coverage": ("coverage", "Coverage"),
    "ModelInfo": ("library", "ModelInfo"),
    "Prediction": ("library", "Prediction"),
    "ProjectionChange": ("library", "ProjectionChange"),
    "Status": ("library", "Status"),
    "library_root": ("library", "library_root"),
    # browsing results (core/browsing.py)
    "LabelMarks": ("browsing", "LabelMarks"),
    "LabelReview": ("browsing", "LabelReview"),
    "Mark": ("browsing", "Mark"),
    "PhotoDetails": ("browsing", "PhotoDetails"),
    "PhotoLabel": ("browsing", "PhotoLabel"),
    "PhotoRef": ("browsing", "PhotoRef"),
    "PhotoRefs": ("browsing", "PhotoRefs"),
    "SEARCH_LIMIT": ("browsing", "SEARCH_LIMIT"),
    # errors (core/errors.py)
    "EnvironmentProblem": ("errors", "EnvironmentProblem"),
    "PhototagError": ("errors", "PhototagError"),
    "UserError": ("errors", "UserError"),
    "WeightsMissing": ("errors", "WeightsMissing"),
    # declared defaults (core/options.py)
    "DEFAULT_MODEL": ("options", "DEFAULT_MODEL"),
    "EVAL_SEEDS": ("options", "EVAL_SEEDS"),
    "EVAL_SHOTS": ("options", "EVAL_SHOTS"),
    "LIBRARY_VARIABLE": ("options", "LIBRARY_VARIABLE"),
    "RAW_SIDECAR_STYLES": ("options", "RAW_SIDECAR_STYLES"),
    # models
    "ModelSpec": ("model.specs", "ModelSpec"),
    "get_spec": ("model.specs", "get_spec"),
    "model_specs": ("model.specs", "model_specs"),
    "download_weights": ("model.encoder", "download_weights"),
    "weights_available": ("model.encoder", "weights_available"),
    "DownloadProgress": ("model.hub", "DownloadProgress"),
    "HubUnreachable": ("model.hub", "HubUnreachable"),
    "BACKENDS": ("model.backends", "BACKENDS"),
    "BACKEND_VARIABLE": ("model.backends", "BACKEND_VARIABLE"),
    "DEFAULT_BACKEND": ("model.backends", "DEFAULT_BACKEND"),
    "prefer_backend": ("model.backends", "prefer"),
    # photos and thumbnails
    "ThumbnailCache": ("ingest.thumbnails", "ThumbnailCache"),
    "UnreadableImage": ("ingest.decode", "UnreadableImage"),
    # watching folders (core/ingest/watch.py)
    "Watcher": ("ingest.watch", "Watcher"),
    "FolderStatus": ("ingest.watch", "FolderStatus"),
    "WatchBatch": ("ingest.watch", "Batch"),
    "WatchStopped": ("ingest.watch", "Stopped"),
    "FOLDER_UNAVAILABLE": ("ingest.watch", "UNAVAILABLE"),
    "describe_changes": ("ingest.watch", "describe"),
    # teaching: the help queue, label health, undo (core/teaching.py, core/history.py)
    "QueueItem": ("teaching", "QueueItem"),
    "LabelHealth": ("teaching", "LabelHealth"),
    "HistoryEntry": ("store.history", "HistoryEntry"),
    "Reversal": ("history", "Reversal"),
    # export, backup
    "prediction_record": ("interop.export", "prediction_record"),
    "write_predictions": ("interop.export", "write"),
    "write_predictions_file": ("interop.export", "write_file"),
    "backup_library": ("store.backup", "backup"),
    "restore_library": ("store.backup", "restore"),
    # `phototag batch` (core/batch/; Ray is imported inside batch_embed only)
    "batch_embed": ("batch.embed", "embed"),
    "batch_label": ("batch.labelling", "label"),
    "BATCH_LABEL_FORMATS": ("batch.labelling", "FORMATS"),
    # `phototag eval` (core/evaluation/)
    "run_evaluation": ("evaluation.run", "run_evaluation"),
    "parse_methods": ("evaluation.run", "parse_methods"),
    "parse_shots": ("evaluation.run", "parse_shots"),
    "EVAL_CSV_NAME": ("evaluation.report", "CSV_NAME"),
    "EVAL_PLOT_NAME": ("evaluation.report", "PLOT_NAME"),
    "eval_json_record": ("evaluation.report", "json_record"),
    "eval_table": ("evaluation.report", "table"),
    "write_eval_csv": ("evaluation.report", "write_csv"),
    "write_eval_plot": ("evaluation.report", "write_plot"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    """Import a public name's module on first use and keep the name here."""
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _PUBLIC[name]
    value = getattr(import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers see; tests/test_public_api.py keeps it equal to _PUBLIC
    from phototag.core.batch.embed import embed as batch_embed
    from phototag.core.batch.labelling import FORMATS as BATCH_LABEL_FORMATS
    from phototag.core.batch.labelling import label as batch_label
    from phototag.core.browse import LabelScore
    from phototag.core.browsing import (
        SEARCH_LIMIT,
        LabelMarks,
        LabelReview,
        Mark,
        PhotoDetails,
        PhotoLabel,
        PhotoRef,
        PhotoRefs,
    )
    from phototag.core.coverage import Coverage
    from phototag.core.errors import (
        EnvironmentProblem,
        PhototagError,
        UserError,
        WeightsMissing,
    )
    from phototag.core.evaluation.report import CSV_NAME as EVAL_CSV_NAME
    from phototag.core.evaluation.report import PLOT_NAME as EVAL_PLOT_NAME
    from phototag.core.evaluation.report import json_record as eval_json_record
    from phototag.core.evaluation.report import table as eval_table
    from phototag.core.evaluation.report import write_csv as write_eval_csv
    from phototag.core.evaluation.report import write_plot as write_eval_plot
    from phototag.core.evaluation.run import parse_methods, parse_shots, run_evaluation
    from phototag.core.finding.query import quote as quote_label
    from phototag.core.history import Reversal
    from phototag.core.ingest.decode import UnreadableImage
    from phototag.core.ingest.thumbnails import ThumbnailCache
    from phototag.core.ingest.watch import UNAVAILABLE as FOLDER_UNAVAILABLE
    from phototag.core.ingest.watch import Batch as WatchBatch
    from phototag.core.ingest.watch import FolderStatus, Watcher
    from phototag.core.ingest.watch import Stopped as WatchStopped
    from phototag.core.ingest.watch import describe as describe_changes
    from phototag.core.interop.export import prediction_record
    from phototag.core.interop.export import write as write_predictions
    from phototag.core.interop.export import write_file as write_predictions_file
    from phototag.core.library import (
        Album,
        ExampleChange,
        Folder,
        LabelInfo,
        Library,
        ModelInfo,
        PhotoGroup,
        Prediction,
        ProjectionChange,
        Status,
        library_root,
    )
    from phototag.core.model.backends import BACKEND_VARIABLE, BACKENDS, DEFAULT_BACKEND
    from phototag.core.model.backends import prefer as prefer_backend
    from phototag.core.model.encoder import download_weights, weights_available
    from phototag.core.model.hub import DownloadProgress, HubUnreachable
    from phototag.core.model.specs import ModelSpec, get_spec, model_specs
    from phototag.core.options import (
        DEFAULT_MODEL,
        EVAL_SEEDS,
        EVAL_SHOTS,
        LIBRARY_VARIABLE,
        RAW_SIDECAR_STYLES,
    )
    from phototag.core.store.backup import backup as backup_library
    from phototag.core.store.backup import restore as restore_library
    from phototag.core.store.history import HistoryEntry
    from phototag.core.teaching import LabelHealth, QueueItem

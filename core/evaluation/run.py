"""`phototag eval DATASET` from start to finish, without the command line's printing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from phototag.core.errors import UserError
from phototag.core.evaluation.approaches import approach_names, check_names, select_approaches
from phototag.core.evaluation.dataset import check_shots, load_dataset
from phototag.core.evaluation.embedding import embed_dataset
from phototag.core.evaluation.harness import Report, evaluate

Progress = Callable[[int, int], None]


@dataclass
class Evaluation:
    report: Report
    unreadable: list[tuple[Path, str]]
    model_name: str


def parse_shots(text: str) -> list[int]:
    try:
        shots = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise UserError(f"--shots must be comma-separated whole numbers, not {text!r}") from None
    if not shots or shots[0] < 1:
        raise UserError(f"--shots must be positive whole numbers, not {text!r}")
    return shots


def parse_methods(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def run_evaluation(
    location: str,
    *,
    shots: list[int],
    methods: list[str] | None,
    seeds: int,
    model: str,
    weights: str | None,
    prompts: bool,
    on_model_loaded: Callable[[bool], None],
    embedding_progress: Progress,
    evaluation_progress: Progress,
) -> Evaluation:
    """Checks the dataset before loading the model, so a bad dataset fails at once."""
    from phototag.core.model.encoder import load_encoder

    check_names(methods, approach_names())
    dataset = load_dataset(location)
    check_shots(dataset.label_names, dataset.truth, max(shots))
    encoder = load_encoder(model, Path(weights) if weights else None)
    on_model_loaded(encoder.spec.meaningless)
    embedded = embed_dataset(dataset, encoder, embedding_progress)
    data = embedded.data
    check_shots(data.label_names, data.truth, max(shots))
    approaches = select_approaches(data, methods)
    report = evaluate(data, approaches, shots, seeds, prompts=prompts, progress=evaluation_progress)
    return Evaluation(report, embedded.unreadable, encoder.spec.name)

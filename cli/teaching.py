"""The teaching loop on the command line: `review` (the photos to decide next for a label),
`undo`, `redo` and `history`, attached to the `phototag` group; label health is shown by
`labels list` (health_fields below)."""

from __future__ import annotations

from dataclasses import asdict

import click

from phototag.cli.main import _Context, _note_if_meaningless, _print_json, cli, pass_context
from phototag.core import LabelHealth, Reversal


def health_fields(health: LabelHealth) -> dict:
    """The health keys `labels list --json` adds to each label's record."""
    interval = health.precision_interval
    return {
        "unreviewed": health.unreviewed,
        "reviewed_suggestions": health.reviewed,
        "precision": None if health.precision is None else round(health.precision, 4),
        "precision_interval": None if interval is None else [round(v, 4) for v in interval],
        "fallback_threshold": health.fallback_threshold,
        "weak": health.weak,
        "warnings": health.warnings,
    }


def health_text(health: LabelHealth) -> str:
    """One tab-separated column for `labels list`: precision and the first warning."""
    if health.precision is None or health.precision_interval is None:
        text = "precision unknown (no suggestion reviewed)"
    else:
        low, high = health.precision_interval
        text = (
            f"precision {health.precision:.0%} ({low:.0%}-{high:.0%}, {health.reviewed} reviewed)"
        )
    return text + (f"\tweak: {health.warnings[0]}" if health.warnings else "")


@cli.command()
@click.argument("label")
@click.option("--count", default=20, show_default=True, type=click.IntRange(1), help="How many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def review(ctx: _Context, label: str, count: int, as_json: bool) -> None:
    """The photos to decide next for LABEL ("Help this label"): those whose confirmation or
    rejection would change it most, spread over the library, never one already decided."""
    for item in ctx.library.help_queue(label, count):
        if as_json:
            _print_json({"path": item.path, "score": item.score, "why": item.why})
        else:
            click.echo(f"{item.score:.2f}\t{item.path}\t{item.why}")
    _note_if_meaningless(ctx.library)


def _report_reversal(reversal: Reversal, verb: str) -> None:
    for entry in reversal.entries:
        click.echo(f"{verb}: {entry.action} {entry.summary}")
    for path in reversal.sidecars_kept:
        click.echo(f"phototag: kept {path}: it was edited since; not {verb}", err=True)


_STEPS = click.option(
    "--steps", default=1, show_default=True, type=click.IntRange(1), help="How many decisions."
)


@cli.command()
@_STEPS
@pass_context
def undo(ctx: _Context, steps: int) -> None:
    """Undo the last decision (tag, reject, untag, threshold, rename, remove, method, refine,
    imports): labels, examples, weights and thresholds return exactly to the state before it."""
    _report_reversal(ctx.library.undo(steps), "undone")


@cli.command()
@_STEPS
@pass_context
def redo(ctx: _Context, steps: int) -> None:
    """Repeat the last undone decision."""
    _report_reversal(ctx.library.redo(steps), "redone")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def history(ctx: _Context, as_json: bool) -> None:
    """The recorded decisions, newest first; undone ones are marked (redo repeats them)."""
    for entry in ctx.library.history():
        if as_json:
            _print_json(asdict(entry))
        else:
            mark = "\t(undone)" if entry.undone else ""
            click.echo(f"{entry.id}\t{entry.created_at}\t{entry.action}\t{entry.summary}{mark}")

"""The `phototag` command: a thin layer over Library that keeps the command line contract
(architecture.md): exit 0 on success, 1 for a user error, 2 for an environment error, one line
on stderr for every expected failure, progress bars only on a terminal.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path

import click

from phototag.core import (
    BACKEND_VARIABLE,
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    EVAL_SEEDS,
    EVAL_SHOTS,
    LIBRARY_VARIABLE,
    DownloadProgress,
    EnvironmentProblem,
    ExampleChange,
    Library,
    PhototagError,
    Status,
    UserError,
    backup_library,
    get_spec,
    library_root,
    model_specs,
    prediction_record,
    prefer_backend,
    restore_library,
    write_predictions,
    write_predictions_file,
)

MEANINGLESS_NOTE = "note: {name} is a random test model; its tags and scores are meaningless"
UNREADABLE_SHOWN = 10


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, unit: str = "photo") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on a terminal; nothing at all when stderr is piped or redirected."""
    if not _stderr_is_terminal():
        yield lambda done, total: None
        return
    from tqdm import tqdm

    bars: list[tqdm] = []  # made at the first report, so loading the model shows no empty bar

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True))
        bars[0].total = total
        bars[0].n = done
        bars[0].refresh()

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def _stage_line(what: str, step: int, steps: int) -> None:
    """One line per step of a one-time wait (the model's conversion), on a terminal only."""
    if _stderr_is_terminal():
        click.echo(f"{what}... (step {step + 1} of {steps})", err=True)


class _Context:
    """Opens the library only for commands that need one (`model list` does not)."""

    def __init__(self, library_dir: str | None):
        self.library_dir = library_dir
        self._library: Library | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.open(self.library_dir)
        return self._library

    @property
    def library_root(self) -> Path:
        """The library's folder, for commands that must not open it (restore)."""
        return library_root(self.library_dir)

    def close(self) -> None:
        if self._library is not None:
            self._library.close()


pass_context = click.make_pass_decorator(_Context)


def _note_if_meaningless(library: Library) -> None:
    info = library.model_info()
    if info is not None and info.meaningless:
        click.echo(MEANINGLESS_NOTE.format(name=info.name), err=True)


def _print_json(value) -> None:
    click.echo(json.dumps(value))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--library",
    "library_dir",
    type=click.Path(file_okay=False),
    help=f"Library folder (default: ${LIBRARY_VARIABLE}, else the per-user data folder).",
)
@click.version_option(package_name="phototag", prog_name="phototag")
@click.pass_context
def cli(ctx: click.Context, library_dir: str | None) -> None:
    """Private, on-device photo tagging: mark a few examples of a label and it spreads over
    the whole library. Nothing leaves this machine."""
    ctx.obj = _Context(library_dir)
    ctx.call_on_close(ctx.obj.close)


# ----- folders -----------------------------------------------------------------------------


@cli.group()
def folders() -> None:
    """Folders of photos the library scans."""


@folders.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--poll/--no-poll",
    default=None,
    help="Let 'phototag watch' poll the folder: for network shares, which send no change events.",
)
@pass_context
def folders_add(ctx: _Context, paths: tuple[str, ...], poll: bool | None) -> None:
    """Add one or more folders (then run 'phototag scan')."""
    for path in paths:
        folder, added = ctx.library.add_folder(path)
        if poll is not None:
            ctx.library.set_polling(folder.path, poll)
        polled = " (watched by polling)" if poll else ""
        click.echo(f"{'added' if added else 'already in the library'}: {folder.path}{polled}")


@folders.command("remove")
@click.argument("path", type=click.Path())
@pass_context
def folders_remove(ctx: _Context, path: str) -> None:
    """Stop tracking a folder. Labels and examples of its photos are kept."""
    ctx.library.remove_folder(path)
    click.echo(f"removed: {path}")


@folders.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def folders_list(ctx: _Context, as_json: bool) -> None:
    """List the library's folders with their photo counts."""
    for folder in ctx.library.folders():
        if as_json:
            _print_json(asdict(folder))
        else:
            click.echo(f"{folder.path}\t{folder.files} photos")


# ----- scanning ----------------------------------------------------------------------------


@cli.command()
@click.option("--model", "model", help=f"Model to embed with (default: {DEFAULT_MODEL}).")
@click.option(
    "--weights",
    type=click.Path(dir_okay=False),
    help="Local weights file for the model instead of the Hugging Face cache.",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help=f"What runs the image model (default: ${BACKEND_VARIABLE}, else "
    f"{DEFAULT_BACKEND}; onnx-int8 is faster but approximate, see the README).",
)
@pass_context
def scan(ctx: _Context, model: str | None, weights: str | None, backend: str | None) -> None:
    """Find new and changed photos in the library's folders and embed them on this machine."""
    prefer_backend(backend)
    library = ctx.library
    with progress_bar("Scanning") as update:
        report = library.scan(model=model, weights=weights, progress=update, stage=_stage_line)
    click.echo(
        f"{report.files} files: {report.embedded} embedded, {report.linked} moved or copied, "
        f"{report.unchanged} unchanged, {len(report.unreadable)} unreadable, "
        f"{report.missing} newly missing"
        + (f", {report.paired} RAW paired with their JPEG" if report.paired else "")
    )
    for path, reason in report.unreadable[:UNREADABLE_SHOWN]:
        click.echo(f"skipped {path}: {reason}", err=True)
    if len(report.unreadable) > UNREADABLE_SHOWN:
        more = len(report.unreadable) - UNREADABLE_SHOWN
        click.echo(f"... and {more} more unreadable files ('phototag status' lists them)", err=True)
    for path, reason in report.unavailable:
        click.echo(f"folder unavailable, its photos left as they were: {path}: {reason}", err=True)
    if report.vanished:
        click.echo(
            f"{report.vanished} files vanished while being read and were left as they were; "
            "scan again once their folder is back",
            err=True,
        )
    _note_if_meaningless(library)


# ----- labels ------------------------------------------------------------------------------


@cli.group()
def labels() -> None:
    """Create, rename, remove and list labels."""


@labels.command("add")
@click.argument("name")
@click.option(
    "--prompt",
    help="Start from CLIP's text embedding of this prompt ('{}' stands for the name), "
    "e.g. --prompt 'a photo of {}'; it fades as examples arrive.",
)
@pass_context
def labels_add(ctx: _Context, name: str, prompt: str | None) -> None:
    """Create a label."""
    created, new = ctx.library.add_label(name, prompt=prompt)
    click.echo(f"{'created' if new else 'already exists'}: {created}")
    if prompt and not new:
        click.echo(f"{created}: prompt set to {prompt.replace('{}', created)!r}")


@labels.command("remove")
@click.argument("name")
@pass_context
def labels_remove(ctx: _Context, name: str) -> None:
    """Delete a label and every example given for it."""
    ctx.library.remove_label(name)
    click.echo(f"removed: {name}")


@labels.command("rename")
@click.argument("old")
@click.argument("new")
@pass_context
def labels_rename(ctx: _Context, old: str, new: str) -> None:
    """Rename a label; its examples and classifier stay."""
    click.echo(f"renamed: {old} -> {ctx.library.rename_label(old, new)}")


@labels.command("threshold")
@click.argument("name")
@click.argument("value")
@pass_context
def labels_threshold(ctx: _Context, name: str, value: str) -> None:
    """Set a label's threshold (a cosine score, see 'labels list') or 'auto'."""
    if value == "auto":
        threshold = None
    else:
        try:
            threshold = float(value)
        except ValueError:
            raise UserError(f"threshold must be a number or 'auto', not {value!r}") from None
    ctx.library.set_threshold(name, threshold)
    click.echo(f"{name}: threshold {'automatic' if threshold is None else threshold}")


@labels.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def labels_list(ctx: _Context, as_json: bool) -> None:
    """Labels with their confirmed, rejected and suggested photo counts and their health."""
    from phototag.cli.teaching import health_fields, health_text

    health = {h.name: h for h in ctx.library.label_health()}
    for info in ctx.library.labels():
        if as_json:
            _print_json({**asdict(info), **health_fields(health[info.name])})
            continue
        threshold = "-" if info.threshold is None else f"{info.threshold:.4f}"
        mode = "auto" if info.threshold_is_automatic else "manual"
        own = "" if info.method_is_own else " (library's)"
        away = ""
        if info.missing_confirmed or info.missing_rejected:
            away = (
                f"\t{info.missing_confirmed} confirmed, {info.missing_rejected} rejected on "
                "missing photos (kept until 'phototag purge')"
            )
        click.echo(
            f"{info.name}\t{info.confirmed} confirmed, {info.rejected} rejected, "
            f"{info.suggested} suggested\t{health_text(health[info.name])}"
            f"\tthreshold {threshold} ({mode})\tmethod {info.method}{own}{away}"
        )
    _note_if_meaningless(ctx.library)


@labels.command("export-pack")
@click.argument("name")
@click.argument("out", type=click.Path(dir_okay=False))
@pass_context
def labels_export_pack(ctx: _Context, name: str, out: str) -> None:
    """Write a label's classifier to a small JSON file to share: it holds no photo."""
    pack = ctx.library.export_pack(name, out)
    click.echo(f"wrote {out}: {pack.label} ({pack.n_pos} examples, model {pack.model_name})")
    _note_if_meaningless(ctx.library)


@labels.command("import-pack")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="Name for the new label (default: the pack's).")
@pass_context
def labels_import_pack(ctx: _Context, file: str, name: str | None) -> None:
    """Add a label from a classifier pack made with this library's model."""
    created, warning = ctx.library.import_pack(file, name)
    if warning:
        click.echo(f"phototag: warning: {warning}", err=True)
    click.echo(f"imported: {created}")


@labels.command("method")
@click.argument("name")
@click.argument("method")
@pass_context
def labels_method(ctx: _Context, name: str, method: str) -> None:
    """Let one label use its own METHOD (see 'phototag method'), or 'default' for the
    library's."""
    used = ctx.library.set_label_method(name, None if method == "default" else method)
    follows = " (the library's)" if method == "default" else ""
    click.echo(f"{name}: method {used}{follows}")


# ----- examples ----------------------------------------------------------------------------


def _report_examples(change: ExampleChange, verb: str) -> None:
    if change.created:
        near = f"; did you mean {change.near_match!r}?" if change.near_match else ""
        click.echo(f"note: created the label {change.label!r}{near}", err=True)
    click.echo(f"{change.label}: {change.changed} photos {verb}, {change.unchanged} already so")
    for path in change.not_found:
        click.echo(f"phototag: not a photo in the library: {path}", err=True)
    for path, reason in change.sidecars_failed:
        click.echo(f"phototag: cannot write {path}: {reason}", err=True)
    if change.not_found or change.sidecars_failed:
        raise click.exceptions.Exit(1)


def _example_command(name: str, verb: str, method: str, doc: str) -> None:
    @cli.command(name, help=doc)
    @click.argument("label")
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @pass_context
    def command(ctx: _Context, label: str, paths: tuple[str, ...]) -> None:
        change = getattr(ctx.library, method)(label, paths)
        _note_if_meaningless(ctx.library)
        _report_examples(change, verb)


_example_command(
    "tag",
    "confirmed",
    "tag",
    "Confirm LABEL on photos (files, or folders for every photo below them). "
    "Creates the label if it is new.",
)
_example_command(
    "reject",
    "rejected",
    "reject",
    "Mark photos as NOT carrying LABEL; similar photos lose the suggestion too.",
)
_example_command(
    "untag", "returned to the model", "untag", "Withdraw a confirmation or rejection of LABEL."
)


# ----- results -----------------------------------------------------------------------------


def _score_options(command: Callable) -> Callable:
    """--all-scores and --min-score, shared by predict and export: more labels in each record,
    the same record."""
    command = click.option(
        "--min-score",
        type=float,
        help="List every label scoring at least this (0..1) instead of those past their "
        "threshold; your confirmations always, your rejections never.",
    )(command)
    return click.option(
        "--all-scores", is_flag=True, help="List every label's score on every photo."
    )(command)


@cli.command()
@click.option("--label", help="Only photos carrying this label.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {path, labels}.")
@_score_options
@pass_context
def predict(
    ctx: _Context, label: str | None, as_json: bool, all_scores: bool, min_score: float | None
) -> None:
    """Every photo with the labels it carries (confirmed by you, or suggested by the model)."""
    library = ctx.library
    for prediction in library.predictions(label, min_score, all_scores):
        if as_json:
            _print_json(prediction_record(prediction))
        else:
            shown = ", ".join(
                f"{name} ({s.score:.2f}{', confirmed' if s.confirmed else ''})"
                for name, s in prediction.labels.items()
            )
            click.echo(f"{prediction.path}\t{shown}")
    _note_if_meaningless(library)


def _status_record(status: Status) -> dict:
    record = asdict(status)
    record["unreadable"] = [{"path": p, "reason": r} for p, r in status.unreadable]
    return record


def _print_status(status: Status) -> None:
    model = "none yet (run 'phototag scan')"
    if status.model is not None:
        model = status.model.name + (
            " (random test model: tags are meaningless)" if status.model.meaningless else ""
        )
    click.echo(f"Library:  {status.library}")
    click.echo(f"Model:    {model}")
    click.echo(f"Folders:  {len(status.folders)}")
    for folder in status.folders:
        click.echo(f"  {folder.path}  ({folder.files} photos)")
    click.echo(
        f"Photos:   {status.photos} ({status.embedded} embedded), {status.missing} missing, "
        f"{len(status.unreadable)} unreadable"
    )
    click.echo(f"Labels:   {len(status.labels)}")
    for info in status.labels:
        click.echo(
            f"  {info.name}: {info.confirmed} confirmed, {info.rejected} rejected, "
            f"{info.suggested} suggested"
        )
    if status.unreadable:
        click.echo("Unreadable files:")
        for path, reason in status.unreadable:
            click.echo(f"  {path}: {reason}")
    hint = _next_step(status)
    if hint:
        click.echo(f"Next:     {hint}")


def _next_step(status: Status) -> str | None:
    """What a new user should do next, until the library is in use."""
    if not status.folders:
        return "phototag folders add ~/Pictures   (then: phototag scan)"
    if status.model is None or status.embedded == 0:
        return "phototag scan"
    if not status.labels:
        return "phototag tag LABEL PHOTO...   (three examples are enough to start)"
    return None


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
def status(ctx: _Context, as_json: bool) -> None:
    """The library at a glance: folders, photos, labels, unreadable files."""
    current = ctx.library.status()
    if as_json:
        _print_json(_status_record(current))
    else:
        _print_status(current)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "xmp", "parquet"]),
    required=True,
    help="csv: path,label,score,confirmed rows; json: a list of {path, labels}; "
    "xmp: keywords in an XMP sidecar beside each photo (OUT is not used); "
    "parquet: path, content hash, model key and embedding of every photo (needs pyarrow).",
)
@click.option(
    "--predicted",
    is_flag=True,
    help="xmp: also write labels the model gives above their threshold (confirmed ones always).",
)
@click.option(
    "--embed",
    is_flag=True,
    help="xmp: write the keywords into the photo files themselves (XMP and IPTC, through "
    "ExifTool) instead of sidecars. This changes your originals.",
)
@click.option("--album", help="csv, json: only the photos of this smart album.")
@_score_options
@click.argument("out", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@pass_context
def export(
    ctx: _Context,
    fmt: str,
    predicted: bool,
    embed: bool,
    album: str | None,
    all_scores: bool,
    min_score: float | None,
    out: str | None,
) -> None:
    """Write every photo's labels to OUT (default: standard output), or with --format xmp
    into XMP sidecars that Lightroom, digiKam, darktable and Immich read."""
    library = ctx.library
    if fmt == "xmp":
        if album or all_scores or min_score is not None:
            raise UserError("--album, --all-scores and --min-score apply to csv and json only")
        _export_xmp(library, predicted, embed, out)
        return
    if predicted or embed:
        raise UserError("--predicted and --embed apply to --format xmp only")
    if fmt == "parquet":
        if out in (None, "-"):
            raise UserError("--format parquet writes a file: give OUT")
        click.echo(f"wrote {library.export_embeddings(out)} embeddings to {out}", err=True)
        return
    predictions = library.predictions(None, min_score, all_scores, album)
    if out in (None, "-"):
        write_predictions(fmt, predictions, sys.stdout)
    else:
        write_predictions_file(fmt, predictions, Path(out))
        click.echo(f"wrote {out}", err=True)
    _note_if_meaningless(library)


def _export_xmp(library: Library, predicted: bool, embed: bool, out: str | None) -> None:
    if out is not None:
        raise UserError("XMP sidecars are written beside each photo: leave out OUT")
    if embed:
        report = library.embed_keywords(predicted=predicted)
        what = "photos"
    else:
        report = library.write_sidecars(predicted=predicted)
        what = "sidecars"
    click.echo(
        f"{what}: {len(report.written)} written, {report.unchanged} unchanged, "
        f"{len(report.failed)} failed"
    )
    for path, reason in report.failed:
        click.echo(f"phototag: cannot write {path}: {reason}", err=True)
    if predicted:
        _note_if_meaningless(library)
    if report.failed:
        raise click.exceptions.Exit(1)


@cli.command("import-keywords")
@click.option(
    "--from",
    "source",
    type=click.Choice(["xmp", "embedded"]),
    default="xmp",
    show_default=True,
    help="xmp: sidecars beside the photos (name.ext.xmp and name.xmp); embedded: keywords "
    "inside the photo files (XMP and IPTC, through ExifTool).",
)
@click.argument("paths", nargs=-1, type=click.Path())
@pass_context
def import_keywords(ctx: _Context, source: str, paths: tuple[str, ...]) -> None:
    """Learn from the keywords Lightroom, digiKam or darktable wrote for the photos (all, or
    those at PATHS): each keyword becomes a label and its photos confirmed examples. Photos
    you rejected for a label stay rejected; running it again adds nothing."""
    report = ctx.library.import_keywords(source, list(paths) if paths else None)
    created = len(report.labels_created)
    click.echo(
        f"{report.photos} photos with keywords: {report.examples_added} examples added, "
        f"{report.already} already confirmed, {len(report.rejected)} kept rejected; "
        f"{created} new labels" + (f" ({', '.join(report.labels_created)})" if created else "")
    )
    for path, label in report.rejected[:UNREADABLE_SHOWN]:
        click.echo(f"kept your rejection: {path} is not {label}", err=True)
    for path, keyword, reason in report.skipped[:UNREADABLE_SHOWN]:
        click.echo(f"skipped {path}{f' {keyword!r}' if keyword else ''}: {reason}", err=True)
    hidden = max(0, len(report.rejected) - UNREADABLE_SHOWN)
    hidden += max(0, len(report.skipped) - UNREADABLE_SHOWN)
    if hidden:
        click.echo(f"... and {hidden} more", err=True)


# ----- backup ------------------------------------------------------------------------------


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False))
@pass_context
def backup(ctx: _Context, out: str) -> None:
    """Copy the library's database to OUT, consistent even while the app or a scan writes."""
    copied = backup_library(ctx.library.store, Path(out))
    click.echo(f"backed up {copied.labels} labels and {copied.examples} examples to {out}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_context
def restore(ctx: _Context, file: str) -> None:
    """Replace the library's database with a backup; the current one is kept beside it.
    Refused while another Phototag process (the app, 'phototag watch') has the library open."""
    restored = restore_library(ctx.library_root, Path(file))
    click.echo(
        f"restored {restored.labels} labels and {restored.examples} examples from {file}; "
        f"the previous database is kept as {restored.previous}"
    )


# ----- methods and refinement --------------------------------------------------------------


@cli.command("method")
@click.argument("name", required=False)
@pass_context
def method_command(ctx: _Context, name: str | None) -> None:
    """Show the library's method and the available ones, or set it to NAME. Labels without
    their own method ('phototag labels method') are refitted with it."""
    library = ctx.library
    if name is not None:
        library.set_method(name)
        click.echo(f"library method: {library.method()}")
        return
    current = library.method()
    for known, summary in library.methods().items():
        mark = "*" if known == current else " "
        click.echo(f"{mark} {known}\t{summary}")


@contextmanager
def _staged_progress() -> Iterator[Callable[[str, int, int], None]]:
    """progress(stage, done, total) as one terminal bar per stage."""
    with ExitStack() as stack:
        bars: dict[str, Callable[[int, int], None]] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                unit = "step" if stage == "refining" else "photo"
                bars[stage] = stack.enter_context(progress_bar(stage.capitalize(), unit))
            bars[stage](done, total)

        yield update


@cli.command()
@click.option("--revert", is_flag=True, help="Go back to the projection before the last refine.")
@click.option("--to", "to", type=int, help="With --revert: the version to go to (0 = pretrained).")
@click.option("--list", "as_list", is_flag=True, help="List the projection versions.")
@pass_context
def refine(ctx: _Context, revert: bool, to: int | None, as_list: bool) -> None:
    """Refine the model's visual projection on your confirmed and rejected photos (ProLIP):
    seconds on a CPU, no photo is decoded again; every embedding is then recomputed and every
    label refitted. Revertible with --revert."""
    library = ctx.library
    if to is not None and not revert:
        raise UserError("--to goes with --revert")
    if as_list:
        for version in library.refinements():
            mark = "*" if version.active else " "
            note = version.note or ("pretrained" if version.version == 0 else "")
            click.echo(f"{mark} {version.version}\t{version.created_at}\t{note}")
        return
    with _staged_progress() as update:
        if revert:
            change = library.revert_refinement(to, progress=update)
        else:
            change = library.refine(progress=update)
    if revert:
        click.echo(f"reverted to projection version {change.version} (from {change.previous})")
    else:
        click.echo(
            f"projection version {change.version}: refined from version {change.previous} on "
            f"{change.photos} photos of {change.labels} labels"
        )
    click.echo(
        f"moved {change.moved:.2%} from version {change.previous}; "
        f"{change.recomputed} embeddings recomputed; labels refitted"
    )
    _note_if_meaningless(library)


# ----- models ------------------------------------------------------------------------------


@cli.group()
def model() -> None:
    """The on-device CLIP models."""


@model.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def model_list(as_json: bool) -> None:
    """Known models and whether their weights are on this machine."""
    from phototag.core import weights_available

    for spec in model_specs():
        available = weights_available(spec.name)
        if as_json:
            default = spec.name == DEFAULT_MODEL
            _print_json({**asdict(spec), "available": available, "default": default})
            continue
        state = "on this machine" if available else f"not downloaded (~{spec.download_mb} MB)"
        marker = " [default]" if spec.name == DEFAULT_MODEL else ""
        click.echo(f"{spec.name}{marker}\t{state}\t{spec.description}")


@model.command("download")
@click.argument("name", required=False, default=DEFAULT_MODEL)
def model_download(name: str) -> None:
    """Fetch a model's weights once; the only command that uses the network. A download that
    stops (Ctrl-C, a dropped connection) resumes where it stopped on the next try."""
    from phototag.core import HubUnreachable, download_weights

    spec = get_spec(name)
    if _stderr_is_terminal():
        click.echo(f"downloading {spec.name} (~{spec.download_mb} MB)...", err=True)
    try:
        with download_bar(spec.name) as update:
            path = download_weights(spec.name, progress=update)
    except HubUnreachable as exc:
        raise EnvironmentProblem(
            f"{exc}; try again when online, or scan with a weights file you already have: "
            f"phototag scan --model {spec.name} --weights PATH"
        ) from exc
    except KeyboardInterrupt:
        _fail(
            f"interrupted; the part downloaded is kept and 'phototag model download "
            f"{spec.name}' resumes it",
            130,
        )
    click.echo(f"{spec.name}: weights at {path}")


@contextmanager
def download_bar(name: str) -> Iterator[Callable[[DownloadProgress], None]]:
    """Bytes, rate and time left on a terminal (tqdm counts the rate from this run's bytes
    only, so a resumed download's rate is true); nothing when stderr is piped."""
    if not _stderr_is_terminal():
        yield lambda progress: None
        return
    from tqdm import tqdm

    bars: list[tqdm] = []

    def update(progress: DownloadProgress) -> None:
        if not bars:
            bars.append(
                tqdm(
                    desc=name,
                    total=progress.total,
                    initial=progress.resumed,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=sys.stderr,
                    dynamic_ncols=True,
                )
            )
        bars[0].update(progress.done - bars[0].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


# ----- evaluation --------------------------------------------------------------------------


@cli.command("eval")
@click.argument("dataset", type=click.Path())
@click.option(
    "--shots",
    default=",".join(map(str, EVAL_SHOTS)),
    show_default=True,
    help="Examples per label.",
)
@click.option("--method", "methods", help="Comma-separated methods (default: all of them).")
@click.option(
    "--seeds", default=EVAL_SEEDS, show_default=True, type=click.IntRange(1), help="Episodes."
)
@click.option("--model", "model", default=DEFAULT_MODEL, help="Model to embed the photos with.")
@click.option("--weights", type=click.Path(dir_okay=False), help="Local weights file.")
@click.option("--prompts", is_flag=True, help="Give every label the prompt 'a photo of LABEL'.")
@click.option(
    "--out", default=".", type=click.Path(file_okay=False), help="Folder for the CSV and plot."
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def eval_command(
    dataset: str,
    shots: str,
    methods: str | None,
    seeds: int,
    model: str,
    weights: str | None,
    prompts: bool,
    out: str,
    as_json: bool,
) -> None:
    """Measure every labelling method on DATASET: a folder with one subfolder per label, or a
    CSV/JSON file of photo path -> labels (multi-label). Prints a table, writes
    phototag-eval.csv and phototag-eval.png."""
    from phototag.core import (
        EVAL_CSV_NAME,
        EVAL_PLOT_NAME,
        eval_json_record,
        eval_table,
        parse_methods,
        parse_shots,
        run_evaluation,
        write_eval_csv,
        write_eval_plot,
    )

    def note(meaningless: bool) -> None:
        if meaningless:
            click.echo(MEANINGLESS_NOTE.format(name=model), err=True)

    with (
        progress_bar("Embedding") as embedding,
        progress_bar("Evaluating", unit="episode") as evaluating,
    ):
        result = run_evaluation(
            dataset,
            shots=parse_shots(shots),
            methods=parse_methods(methods),
            seeds=seeds,
            model=model,
            weights=weights,
            prompts=prompts,
            on_model_loaded=note,
            embedding_progress=embedding,
            evaluation_progress=evaluating,
        )
    for path, reason in result.unreadable:
        click.echo(f"skipped {path}: {reason}", err=True)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    write_eval_csv(result.report, folder / EVAL_CSV_NAME)
    title = f"{Path(dataset).name} with {result.model_name}"
    write_eval_plot(result.report, folder / EVAL_PLOT_NAME, title)
    if as_json:
        _print_json(eval_json_record(result.report))
    else:
        click.echo(eval_table(result.report))
    click.echo(f"wrote {folder / EVAL_CSV_NAME} and {folder / EVAL_PLOT_NAME}", err=True)


# ----- desktop app -------------------------------------------------------------------------


@cli.command()
@click.option(
    "--library",
    "library_dir",
    type=click.Path(file_okay=False),
    help=f"Library folder, as 'phototag --library' (default: ${LIBRARY_VARIABLE}, else the "
    "per-user data folder).",
)
@click.option(
    "--model",
    "model",
    help=f"Model for scans started in the window (default: the library's, else {DEFAULT_MODEL}).",
)
@click.pass_context
def gui(ctx: click.Context, library_dir: str | None, model: str | None) -> None:
    """Open the desktop app on this library (the `phototag-gui` launcher runs this command)."""
    from phototag.cli.system import check_gui_platform

    check_gui_platform()  # before Qt, which would abort with a misleading line
    from phototag.app.main import run

    outer = ctx.find_object(_Context)
    if library_dir is None and outer is not None:
        library_dir = outer.library_dir
    sys.exit(run(library_dir, model))


# ----- watching ----------------------------------------------------------------------------


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end `watch` normally (exit 0) instead of interrupting a write."""
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch_printer(stopped: threading.Event):
    """One line per folder state change and per batch that changed something; nothing else."""
    from phototag.core import FolderStatus, WatchBatch, WatchStopped, describe_changes

    def show(event) -> None:
        if isinstance(event, FolderStatus):
            detail = f" ({event.detail})" if event.detail else ""
            click.echo(f"{event.state}: {event.path}{detail}")
        elif isinstance(event, WatchBatch):
            line = describe_changes(event.report)
            if line:
                click.echo(line)
            for path, reason in event.report.unreadable:
                click.echo(f"skipped {path}: {reason}", err=True)
        elif isinstance(event, WatchStopped):
            stopped.set()

    return show


@cli.command()
@pass_context
def watch(ctx: _Context) -> None:
    """Keep the library current until stopped: new, changed, moved and deleted photos are
    taken in as they happen, after catching up with what changed while nothing was watching."""
    from phototag.core import Watcher

    library = ctx.library
    if not library.watched_folders():
        raise UserError("no folders yet: add one with 'phototag folders add PATH'")
    _note_if_meaningless(library)
    stopped = threading.Event()
    watcher = Watcher(library.root, on_event=_watch_printer(stopped))
    with _stop_on_signals(stopped):
        if _stderr_is_terminal():
            click.echo("watching; Ctrl-C stops", err=True)
        watcher.start()
        stopped.wait()
        watcher.stop()
    if watcher.error is not None:
        raise watcher.error


@cli.command()
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@pass_context
def purge(ctx: _Context, dry_run: bool) -> None:
    """Forget photos that are gone from disk, with the examples given for them. Until then a
    missing photo that comes back keeps every tag; photos in a folder that cannot be read now
    (an unplugged drive) are never purged."""
    report = ctx.library.purge(dry_run=dry_run)
    if dry_run:
        for path in report.files:
            click.echo(path)
    click.echo(
        f"{'would remove' if dry_run else 'removed'} {len(report.files)} missing files, "
        f"{report.photos} photos and {report.examples} examples"
    )


# ----- entry point -------------------------------------------------------------------------


def _fail(message: str, code: int, prog_name: str = "phototag") -> None:
    click.echo(f"{prog_name}: {message}", err=True)
    sys.exit(code)


def _run(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a command; expected failures end in one line and the contract's exit code."""
    try:
        code = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except PhototagError as exc:
        _fail(str(exc), exc.exit_code, prog_name)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help())
        sys.exit(0)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _fail(f"{exc.format_message()}{hint}", 1, prog_name)
    except click.ClickException as exc:
        _fail(exc.format_message(), 1, prog_name)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted; finished work is saved and the next scan resumes", 130, prog_name)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except sqlite3.OperationalError as exc:
        message = f"the library database is unavailable: {exc}"
        _fail(message, EnvironmentProblem.exit_code, prog_name)
    sys.exit(code if isinstance(code, int) else 0)


def main(argv: list[str] | None = None) -> None:
    """The `phototag` command line."""
    _run(cli, argv, "phototag")


def gui_main(argv: list[str] | None = None) -> None:
    """The `phototag-gui` launcher: the `gui` command on its own, so both take the same
    options and fail the same way."""
    _run(gui, argv, "phototag-gui")


# Commands kept in their own modules attach themselves to `cli` when imported.
from phototag.cli import batch, finding, raw, teaching  # noqa: E402, F401

if __name__ == "__main__":
    # `python -m phototag.cli.main` runs this file as __main__, a second copy of the module: the
    # command modules imported above attach to phototag.cli.main's group, so run that one.
    from phototag.cli.main import main as imported_main

    imported_main()

"""`phototag batch`: embed an archive on a Ray cluster and bring the result back (issue 18).

Nothing here imports Ray: `batch embed` reaches it through core's batch_embed, inside the
command, so the plain CLI and the app never load it."""

from __future__ import annotations

from pathlib import Path

import click

from phototag.cli.main import UNREADABLE_SHOWN, _Context, cli, pass_context, progress_bar
from phototag.core import BATCH_LABEL_FORMATS, batch_embed, batch_label


@cli.group()
def batch() -> None:
    """Embed photos on a Ray cluster, bit for bit as a scan here (needs phototag[cluster])."""


@batch.command("prepare")
@click.argument("out_job", type=click.Path(file_okay=False))
@pass_context
def batch_prepare(ctx: _Context, out_job: str) -> None:
    """Write a job folder for the library's model: the ONNX image tower, the projection and
    a manifest (model key, versions, numerics fingerprint, the files already embedded)."""
    root = ctx.library.prepare_batch(out_job)
    click.echo(f"prepared {root}")


@batch.command("embed")
@click.argument("job", type=click.Path(exists=True, file_okay=False))
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--address",
    default="local",
    show_default=True,
    help="local: a private Ray runtime on this machine (loopback only, no usage statistics); "
    "auto: the cluster this machine belongs to; HOST:PORT (the head's GCS) or "
    "ray://HOST:PORT (Ray Client): a running cluster.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Folder for the Parquet results (default: JOB/out). Run again to resume.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(0.0, 1.0),
    help="Accept a node whose numerics differ from the library machine's if the least "
    "cosine on the probe and the golden photos is at least COS (recorded in each row's "
    "'agreement').",
)
@click.option(
    "--shard-size",
    type=click.IntRange(1),
    help="Photos a shard (default 64): the unit a worker takes and a resumed job skips. "
    "Fixed when the job first lists its sources.",
)
@click.option(
    "--s3-endpoint",
    metavar="URL",
    envvar=["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
    help="The object store for s3:// sources, e.g. http://minio.local:9000 for MinIO or Ceph "
    "(default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS). Credentials: the standard "
    "AWS variables or the node's role.",
)
def batch_embed_command(
    job: str,
    sources: tuple[str, ...],
    address: str,
    out: str | None,
    tolerance: float | None,
    shard_size: int | None,
    s3_endpoint: str | None,
) -> None:
    """Embed the photos in SOURCES with the JOB's model: folders, .txt lists of paths or
    s3:// URLs, or s3://BUCKET/PREFIX. An s3:// source is a network source of your choosing:
    only a job with one connects to an object store (a job over folders with --address local
    opens no connection beyond loopback)."""
    target = Path(out) if out else Path(job) / "out"
    with progress_bar("Embedding") as update:
        report = batch_embed(
            Path(job), list(sources), target, address, tolerance, update, shard_size, s3_endpoint
        )
    click.echo(
        f"{report.shards} shards ({report.skipped_shards} done before): {report.embedded} "
        f"embedded, {report.in_library} already in the library, {len(report.unreadable)} "
        f"unreadable; results in {target}"
    )
    for path, reason in report.unreadable[:UNREADABLE_SHOWN]:
        click.echo(f"skipped {path}: {reason}", err=True)


@batch.command("import")
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@pass_context
def batch_import(ctx: _Context, results: str) -> None:
    """Record the results of `batch embed` in the library, as a scan records its photos."""
    report = ctx.library.import_batch(results)
    for folder in report.folders_added:
        click.echo(f"added folder {folder}", err=True)
    for path in report.not_in_library[:UNREADABLE_SHOWN]:
        click.echo(f"not imported {path}: the job's library has it, this one does not", err=True)
    click.echo(
        f"imported {report.embedded} photos, {report.linked} files of photos the library has, "
        f"{report.unreadable} unreadable"
    )


@batch.command("label")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="File to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(BATCH_LABEL_FORMATS),
    default="parquet",
    show_default=True,
    help="parquet: columns path and labels (a map from name to {score, confirmed}); "
    "jsonl: one JSON object a line. Either way a row is what `predict --json` prints.",
)
def batch_label_command(source: str, results: str, out: str, fmt: str) -> None:
    """Tag the photos in RESULTS (what `batch embed` wrote) with the labels of SOURCE: a job
    `batch prepare` wrote (the labels as they were then) or a library folder."""
    with progress_bar("Tagging") as update:
        report = batch_label(Path(source), Path(results), Path(out), fmt, update)
    click.echo(
        f"tagged {report.photos} photos into {out}; not listed: {report.in_library} the "
        f"library has already (see predict), {report.unreadable} unreadable"
    )

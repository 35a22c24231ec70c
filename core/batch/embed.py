"""`phototag batch embed`: a prepared job's shards embedded on a Ray Data cluster.

Ray is imported inside these functions only. The dataset is one row a shard, mapped by an
actor pool (worker.ShardEmbedder loads the tower once per actor); the driver writes each
finished shard as OUT/part-NNNNN.parquet (written whole, then renamed), so a killed job
resumes by skipping the shards that have their file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phototag.core.atomic import replacing
from phototag.core.batch import job as jobs
from phototag.core.batch import listing
from phototag.core.batch import sources as object_store
from phototag.core.batch.runtime import connect
from phototag.core.batch.worker import ShardEmbedder, row_schema
from phototag.core.errors import UserError

# Every CPU taken by actors hangs a dataset silently (ray#44687): each actor asks for this
# share of a CPU, one actor a CPU, so the dataset's own tasks always find room.
ACTOR_CPUS = 0.8
# Ray Data restarts a dead actor by default. Ray core then logs on every run, natively on the
# driver's stderr, that the restart may fail (ray#57733: the arguments Ray Data itself passes are
# in the object store, ray#53727), and an actor refusing its node's numerics is restarted, its
# traceback printed by the raylet on the driver's stdout, before the job fails. A lost node
# fails the run instead: running the command again resumes from the shards already written.
NO_ACTOR_RESTARTS = 0
Progress = Callable[[int, int], None]


@dataclass
class EmbedReport:
    shards: int = 0
    skipped_shards: int = 0
    embedded: int = 0
    in_library: int = 0
    """Files of content the library has already (moved or copied): hashed, not embedded."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def part_path(out: Path, shard: int) -> Path:
    return out / f"part-{shard:05d}.parquet"


def embed(
    job_root: Path,
    sources: list[str],
    out: Path,
    address: str = "local",
    tolerance: float | None = None,
    progress: Progress | None = None,
    shard_size: int | None = None,
    s3_endpoint: str | None = None,
) -> EmbedReport:
    """s3_endpoint: the object store's URL for s3:// sources (None: AWS's own)."""
    job = jobs.load(job_root)
    out.mkdir(parents=True, exist_ok=True)
    _keep_job_beside(job, out)
    canonical = [_canonical(source) for source in sources]
    size = shard_size or listing.SHARD_SIZE
    shards = listing.shards_of(out, canonical, job.known(), size, s3_endpoint)
    if listing.sources_of(out) != canonical:
        raise UserError(f"{out} holds a job over other sources; choose a new --out folder")
    todo = [i for i in range(len(shards)) if not part_path(out, i).exists()]
    report = EmbedReport(len(shards), len(shards) - len(todo))
    if todo:
        actor_options = {"tolerance": tolerance, "s3_endpoint": s3_endpoint}
        _run(connect(address), job, shards, todo, out, actor_options, report, progress)
    return report


def _canonical(source: str) -> str:
    if object_store.is_object_url(source):
        return object_store.canonical(source)
    return os.path.realpath(os.path.expanduser(source))


def _keep_job_beside(job: jobs.Job, out: Path) -> None:
    """`batch import` reads the model and projection from OUT, without the job folder."""
    for name in (jobs.MANIFEST, jobs.PROJECTION):
        if not (out / name).exists():
            with replacing(out / name) as temporary:
                shutil.copyfile(job.root / name, temporary)


def _run(ray, job, shards, todo, out, actor_options, report, progress) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = [
        {"shard": i, "paths": [p for p, _ in shards[i]], "reasons": [r for _, r in shards[i]]}
        for i in todo
    ]
    actors = max(1, min(len(items), int(ray.cluster_resources().get("CPU", 1))))
    _quiet(ray)
    with warnings.catch_warnings():
        # Ray 2.60 takes max_restarts only among the `ray_remote_args` it deprecates.
        warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated", DeprecationWarning)
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardEmbedder,
            fn_constructor_kwargs={"job_root": str(job.root.resolve()), **actor_options},
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=ACTOR_CPUS,
            max_restarts=NO_ACTOR_RESTARTS,
        )
    total = sum(len(shards[i]) for i in todo)
    pending: dict[int, list[Any]] = {}
    done = 0
    for block in _batches(ray, dataset):
        for shard in set(block.column("shard").to_pylist()):
            rows = block.filter(pa.compute.equal(block.column("shard"), shard))
            pending.setdefault(shard, []).append(rows)
            table = pa.concat_tables(pending[shard])
            if table.num_rows == len(shards[shard]):
                with replacing(part_path(out, shard)) as temporary:
                    pq.write_table(table.cast(row_schema()), temporary)
                del pending[shard]
                _count(report, table)
                done += table.num_rows
                if progress is not None:
                    progress(done, total)


def _quiet(ray) -> None:
    """The command prints its own progress bar and one summary line, or its one-line error;
    Ray Data's progress bars and its logs, which print the full traceback of a refused node at
    ERROR, would bury them."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _batches(ray, dataset):
    """The dataset's output; an actor's expected failure (a node refusing its numerics, an
    object store out of reach) becomes its one-line reason."""
    from phototag.core.batch.numerics import NumericsDiffer

    try:
        yield from dataset.iter_batches(batch_size=None, batch_format="pyarrow")
    except Exception as exc:
        for kind, words in (
            (NumericsDiffer, "numerics differ"),
            (object_store.ObjectStoreUnreachable, object_store.UNREACHABLE),
        ):
            _raise_if_caused_by(exc, kind, words)
        raise


def _raise_if_caused_by(exc: BaseException, kind: type[Exception], words: str) -> None:
    """Ray wraps an actor's exception, sometimes only as text: found by class or by words."""
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, kind):
            raise kind(str(chain)) from None
        message = str(chain)
        if words in message:
            line = next(x for x in message.splitlines() if words in x)
            raise kind(line.split(f"{kind.__name__}: ")[-1].strip()) from None
        chain = chain.__cause__ or chain.__context__


def _count(report: EmbedReport, table: Any) -> None:
    for path, error, in_library in zip(
        table.column("path").to_pylist(),
        table.column("error").to_pylist(),
        table.column("in_library").to_pylist(),
        strict=True,
    ):
        if in_library:
            report.in_library += 1
        elif error is None:
            report.embedded += 1
        else:
            report.unreadable.append((path, error))


def read_parts(out: Path) -> Any:
    """Every row a job wrote so far, as one pyarrow table, in shard order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(out.glob("part-*.parquet"))
    if not parts:
        raise UserError(f"no batch results in {out}")
    return pa.concat_tables(pq.read_table(p) for p in parts)


def manifest_of(out: Path) -> dict:
    try:
        return json.loads((out / jobs.MANIFEST).read_text())
    except (OSError, ValueError):
        raise UserError(f"not the output of phototag batch embed: {out}") from None

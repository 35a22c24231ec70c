"""`phototag similar`, `find`, `albums` and `discover`: finding photos beyond one label.

Attached to the `cli` group by the import at the end of cli/main.py. Every listing prints one
line a photo (`score<TAB>path`, or the path alone), or with --json one JSON object a line.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from phototag.cli.main import _Context, _note_if_meaningless, _print_json, cli, pass_context
from phototag.core import SEARCH_LIMIT, PhotoGroup, PhotoRef

GROUP_PATHS_SHOWN = 5


def _print_photos(photos: Sequence[PhotoRef], as_json: bool) -> None:
    for photo in photos:
        if as_json:
            _print_json({"path": photo.path, "score": photo.score})
        elif photo.score is None:
            click.echo(photo.path)
        else:
            click.echo(f"{photo.score:.4f}\t{photo.path}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--not",
    "not_paths",
    multiple=True,
    type=click.Path(),
    help="A photo the results should not look like (repeat for more).",
)
@click.option("--top", default=SEARCH_LIMIT, show_default=True, help="How many photos to list.")
@click.option(
    "--where", "where", help="Only photos that also match this query (see 'phototag find')."
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {path, score}.")
@pass_context
def similar(
    ctx: _Context,
    paths: tuple[str, ...],
    not_paths: tuple[str, ...],
    top: int,
    where: str | None,
    as_json: bool,
) -> None:
    """Photos that look like PATHS (and unlike the --not photos), best first; the score is the
    cosine similarity. A PATH may be a folder: all photos below it."""
    if top < 1:
        raise click.BadParameter("must be at least 1", param_hint="--top")
    library = ctx.library
    _print_photos(library.similar(paths, not_paths, where=where, limit=top), as_json)
    _note_if_meaningless(library)


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {path, score}.")
@pass_context
def find(ctx: _Context, query: str, as_json: bool) -> None:
    """Photos matching QUERY: labels with AND, OR, NOT and parentheses ("quote names" with
    spaces), confirmed:NAME, text:"by meaning", folder:PATH, taken:2023-06..2023-08,
    unlabelled. Ranked by meaning when the query has text, else in path order."""
    library = ctx.library
    _print_photos(library.find(query), as_json)
    _note_if_meaningless(library)


# ----- smart albums --------------------------------------------------------------------------


@cli.group()
def albums() -> None:
    """Smart albums: queries saved by name, shown in the app's sidebar."""


@albums.command("save")
@click.argument("name")
@click.argument("query")
@pass_context
def albums_save(ctx: _Context, name: str, query: str) -> None:
    """Save QUERY (see 'phototag find') as the album NAME, or change an album's query."""
    saved = ctx.library.save_album(name, query)
    count = len(ctx.library.album_photos(saved))
    click.echo(f"saved album {saved}: {count} photos")


@albums.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {name, query, count, problem}.")
@pass_context
def albums_list(ctx: _Context, as_json: bool) -> None:
    """Every album with its query and how many photos it holds now."""
    for album in ctx.library.albums():
        if as_json:
            _print_json(
                {
                    "name": album.name,
                    "query": album.query,
                    "count": album.count,
                    "problem": album.problem,
                }
            )
        else:
            held = f"{album.count} photos" if album.problem is None else album.problem
            click.echo(f"{album.name}\t{held}\t{album.query}")


@albums.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {path, score}.")
@pass_context
def albums_show(ctx: _Context, name: str, as_json: bool) -> None:
    """The photos in album NAME."""
    _print_photos(ctx.library.album_photos(name), as_json)


@albums.command("remove")
@click.argument("name")
@pass_context
def albums_remove(ctx: _Context, name: str) -> None:
    """Forget an album's query; its photos and labels are not touched."""
    ctx.library.remove_album(name)
    click.echo(f"removed album: {name}")


# ----- groups worth naming -------------------------------------------------------------------


def _group_record(group: PhotoGroup) -> dict:
    return {
        "size": len(group.photos),
        "tightness": group.tightness,
        "photos": [{"path": p.path, "score": p.score} for p in group.photos],
    }


@cli.command()
@click.option("--top", default=10, show_default=True, help="How many groups to list.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines: {size, tightness, photos: [path, score]}."
)
@pass_context
def discover(ctx: _Context, top: int, as_json: bool) -> None:
    """Groups of look-alike photos that carry no label yet, largest first: name one with
    'phototag tag NAME PATH...' and the label spreads to the rest of the library."""
    if top < 1:
        raise click.BadParameter("must be at least 1", param_hint="--top")
    library = ctx.library
    groups = library.discover(top)
    for number, group in enumerate(groups, 1):
        if as_json:
            _print_json(_group_record(group))
            continue
        click.echo(
            f"group {number}: {len(group.photos)} photos look alike "
            f"(tightness {group.tightness:.2f})"
        )
        for photo in group.photos[:GROUP_PATHS_SHOWN]:
            click.echo(f"  {photo.path}")
        if len(group.photos) > GROUP_PATHS_SHOWN:
            click.echo(f"  ... and {len(group.photos) - GROUP_PATHS_SHOWN} more (--json lists all)")
    if not groups and not as_json:
        click.echo("no groups: every photo carries a label, or too few look alike", err=True)
    _note_if_meaningless(library)

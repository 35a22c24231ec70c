"""`phototag raw-sidecars`: how the sidecar of a RAW file is named when Phototag makes one."""

from __future__ import annotations

import click

from phototag.cli.main import _Context, cli, pass_context
from phototag.core import RAW_SIDECAR_STYLES


@cli.command("raw-sidecars")
@click.argument("style", required=False, type=click.Choice(RAW_SIDECAR_STYLES))
@pass_context
def raw_sidecars(ctx: _Context, style: str | None) -> None:
    """Show or set how a RAW file's new XMP sidecar is named: keep-extension (IMG_1.CR2.xmp,
    read by darktable, digiKam and Immich; the default) or replace-extension (IMG_1.xmp, read
    by Lightroom and Capture One). A sidecar that exists under either name is the one updated."""
    library = ctx.library
    if style is not None:
        library.raw_sidecar_name = style
    click.echo(library.raw_sidecar_name)

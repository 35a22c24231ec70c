"""phototag.cli: the command line, click commands over phototag.core's public API."""

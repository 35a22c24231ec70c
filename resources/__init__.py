"""Data files shipped with Phototag (model configs); read them with importlib.resources."""

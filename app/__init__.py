"""Phototag's desktop GUI (PySide6): a thin client of phototag.core's public API."""

"""Small previews of photos, made once and kept on disk inside the library.

Keyed by content hash, not path: a renamed or copied photo reuses its thumbnail, and nothing in
the cache reveals where a photo lives. The cache is private to the library (not the shared
freedesktop thumbnail folder), so removing the library removes every trace. Decoding goes
through core.decode, which handles orientation, every supported format and hostile files.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from phototag.core.atomic import replacing
from phototag.core.ingest.decode import decode_image

THUMBNAIL_SIDE = 256  # the short side; grid cells are smaller, so a crop of it stays sharp
MAX_LONG_SIDE = 3 * THUMBNAIL_SIDE  # panoramas keep their shape without becoming huge files
JPEG_QUALITY = 85


class ThumbnailCache:
    """Thumbnails under `<library root>/cache/thumbnails/<ab>/<content hash>.jpg`.

    Safe to use from several threads at once: files are written under a temporary name and
    renamed into place, so a reader sees either no thumbnail or a complete one.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path_for(self, content_hash: str) -> Path:
        return self.directory / content_hash[:2] / f"{content_hash}.jpg"

    def get(self, photo: str | Path, content_hash: str) -> Path:
        """The cached thumbnail's path, making it first if needed.

        Raises UnreadableImage when the photo cannot be decoded (gone, corrupt, not an image).
        """
        target = self.path_for(content_hash)
        if not target.exists():
            self._write(make_thumbnail(Path(photo)), target)
        return target

    @staticmethod
    def _write(image: Image.Image, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as temporary:
            image.save(temporary, "JPEG", quality=JPEG_QUALITY, optimize=True)


def make_thumbnail(photo: Path, side: int = THUMBNAIL_SIDE) -> Image.Image:
    """An upright RGB image whose short side is `side` (never upscaled)."""
    image = decode_image(photo, min_side=side).image
    width, height = image.size
    scale = min(1.0, side / min(width, height), MAX_LONG_SIDE / max(width, height))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image

"""The models Phototag knows by name.

Pure data, so `phototag status` and `phototag model list` answer without importing torch. The
user types `name`; open_clip only ever sees `arch` and `pretrained`. Every pretrained tag here is
served from the Hugging Face hub, whose offline switch keeps the process off the network (a
tag with only a URL would bypass that switch).
"""

from __future__ import annotations

from dataclasses import dataclass

from phototag.core.errors import UserError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    arch: str
    pretrained: str | None
    description: str
    download_mb: int
    meaningless: bool = False


TINY_MODEL = "tiny-random"

_SPECS = (
    ModelSpec(
        name="ViT-B-32",
        arch="ViT-B-32",
        pretrained="laion2b_s34b_b79k",
        description="CLIP ViT-B/32 trained on LAION-2B; the fastest accurate choice on a CPU",
        download_mb=605,
    ),
    ModelSpec(
        name="ViT-B-32-openai",
        arch="ViT-B-32-quickgelu",
        pretrained="openai",
        description="OpenAI's original CLIP ViT-B/32",
        download_mb=605,
    ),
    ModelSpec(
        name="ViT-B-16",
        arch="ViT-B-16",
        pretrained="laion2b_s34b_b88k",
        description="CLIP ViT-B/16 trained on LAION-2B; more accurate, about 4x slower",
        download_mb=599,
    ),
    ModelSpec(
        name="MobileCLIP2-S0",
        arch="MobileCLIP2-S0",
        pretrained="dfndr2b",
        description="Apple MobileCLIP2-S0; small download, slower than ViT-B-32 on this CPU",
        download_mb=300,
    ),
    ModelSpec(
        name=TINY_MODEL,
        arch=TINY_MODEL,
        pretrained=None,
        description="tiny random-weight model for tests and demos; its tags mean nothing",
        download_mb=0,
        meaningless=True,
    ),
)


def model_specs() -> list[ModelSpec]:
    return list(_SPECS)


def get_spec(name: str) -> ModelSpec:
    for spec in _SPECS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in _SPECS)
    raise UserError(f"unknown model '{name}' (known: {known})")

"""The models Phototag knows by name.

Pure data, so `phototag status` and `phototag model list` answer without importing torch or
open_clip (the lean runtime has neither). The user types `name`; open_clip, where it is installed
(`phototag[torch]`), only ever sees `arch` and `pretrained`. Where the weights live is written
here too (`hub_repo`, `hub_files`: what open_clip's pretrained table says for the tag, copied from
open_clip 3.3), as is the preprocessing the tag sets, so neither needs open_clip at run time.
Every pretrained tag here is served from the Hugging Face hub, whose offline switch keeps the
process off the network (a tag with only a URL would bypass that switch).
"""

from __future__ import annotations

from dataclasses import dataclass

from phototag.core.errors import UserError

# open_clip's file names in a hub repo (open_clip/constants.py), tried in this order, as open_clip
# does: the safetensors file first. Only it loads without torch (the .bin is a torch pickle).
HUB_SAFETENSORS = "open_clip_model.safetensors"
HUB_PICKLE = "open_clip_pytorch_model.bin"
HUB_FILES = (HUB_SAFETENSORS, HUB_PICKLE)

# The normalisation OpenAI's CLIP was trained with (open_clip's OPENAI_DATASET_MEAN/STD).
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class PlainViT:
    """What graphs.py needs beyond the weights' shapes to build a CLIP ViT's towers without torch
    (head counts cannot be read off the weights). Models without it need `phototag[torch]`."""

    vision_heads: int
    text_heads: int
    quick_gelu: bool = False


# The CLIP ViT-B models: 768-wide image tower and 512-wide text tower, 64-wide heads.
VIT_B = PlainViT(vision_heads=12, text_heads=8)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    arch: str
    pretrained: str | None
    description: str
    download_mb: int
    meaningless: bool = False
    # The Hugging Face repository that holds the weights, and its files in the order to try.
    hub_repo: str | None = None
    hub_files: tuple[str, ...] = ()
    # The preprocessing the pretrained tag sets (a weights file alone does not carry it).
    image_mean: tuple[float, float, float] = OPENAI_MEAN
    image_std: tuple[float, float, float] = OPENAI_STD
    interpolation: str = "bicubic"
    plain_vit: PlainViT | None = None


TINY_MODEL = "tiny-random"

_SPECS = (
    ModelSpec(
        name="ViT-B-32",
        arch="ViT-B-32",
        pretrained="laion2b_s34b_b79k",
        description="CLIP ViT-B/32 trained on LAION-2B; the fastest accurate choice on a CPU",
        download_mb=605,
        hub_repo="laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        hub_files=HUB_FILES,
        plain_vit=VIT_B,
    ),
    ModelSpec(
        name="ViT-B-32-openai",
        arch="ViT-B-32-quickgelu",
        pretrained="openai",
        description="OpenAI's original CLIP ViT-B/32",
        download_mb=605,
        hub_repo="timm/vit_base_patch32_clip_224.openai",
        hub_files=HUB_FILES,
        plain_vit=PlainViT(vision_heads=12, text_heads=8, quick_gelu=True),
    ),
    ModelSpec(
        name="ViT-B-16",
        arch="ViT-B-16",
        pretrained="laion2b_s34b_b88k",
        description="CLIP ViT-B/16 trained on LAION-2B; more accurate, about 4x slower",
        download_mb=599,
        hub_repo="laion/CLIP-ViT-B-16-laion2B-s34B-b88K",
        hub_files=HUB_FILES,
        plain_vit=VIT_B,
    ),
    ModelSpec(
        name="MobileCLIP2-S0",
        arch="MobileCLIP2-S0",
        pretrained="dfndr2b",
        description="Apple MobileCLIP2-S0; small download, slower than ViT-B-32 on this CPU",
        download_mb=300,
        hub_repo="timm/MobileCLIP2-S0-OpenCLIP",
        hub_files=HUB_FILES,
        image_mean=(0.0, 0.0, 0.0),
        image_std=(1.0, 1.0, 1.0),
        interpolation="bilinear",
    ),
    ModelSpec(
        name=TINY_MODEL,
        arch=TINY_MODEL,
        pretrained=None,
        description="tiny random-weight model for tests and demos; its tags mean nothing",
        download_mb=0,
        meaningless=True,
        # resources/models/tiny-random.json: 128 wide with 32-wide heads; text 64 wide, 2 heads.
        plain_vit=PlainViT(vision_heads=4, text_heads=2),
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

"""The model table's hub and preprocessing data against open_clip's own pretrained table: the
lean runtime reads them from specs.py because open_clip is not installed there."""

from __future__ import annotations

import os

import open_clip
import pytest
from open_clip.pretrained import get_pretrained_cfg

from phototag.core.model.specs import HUB_FILES, model_specs

HUB_SPECS = [spec for spec in model_specs() if spec.pretrained is not None]


@pytest.mark.parametrize("spec", HUB_SPECS, ids=lambda spec: spec.name)
def test_hub_data_is_open_clips(spec):
    repo_id, filename = os.path.split(get_pretrained_cfg(spec.arch, spec.pretrained)["hf_hub"])
    assert spec.hub_repo == repo_id
    assert filename == ""  # open_clip's default names, which HUB_FILES spells out
    assert (
        spec.hub_files
        == HUB_FILES
        == (
            open_clip.constants.HF_SAFE_WEIGHTS_NAME,
            open_clip.constants.HF_WEIGHTS_NAME,
        )
    )


@pytest.mark.parametrize("spec", HUB_SPECS, ids=lambda spec: spec.name)
def test_preprocessing_is_the_tags(spec):
    cfg = get_pretrained_cfg(spec.arch, spec.pretrained)
    assert spec.image_mean == pytest.approx(cfg["mean"])
    assert spec.image_std == pytest.approx(cfg["std"])
    assert spec.interpolation == cfg["interpolation"]
    assert cfg["resize_mode"] == "shortest"

"""Phototag's engine: no Qt here, so the CLI, the GUI and the tests share one code path."""

import os
import sys

# Privacy is the product: the model hub stays offline in every process unless the user runs
# `phototag model download` (see phototag.core.network.online). huggingface_hub reads this
# variable once, at import, so it is set before anything can import it.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

# A process that imported huggingface_hub first (a plugin, a test) has already read the variable:
# pin its switch too, so import order can never put Phototag online.
if "huggingface_hub.constants" in sys.modules:
    sys.modules["huggingface_hub.constants"].HF_HUB_OFFLINE = True

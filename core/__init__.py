"""Phototag's engine: no Qt here, so the CLI, the GUI and the tests share one code path."""

import os
import sys

# Privacy is the product: the model hub stays offline in every process unless the user runs
# `phototag model download` (see phototag.core.model.network.online). huggingface_hub reads this
# variable once, at import, so it is set before anything can import it.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# ONNX Runtime 1.29+ ships 1DS telemetry on Linux and macOS: about 9 s after the first session it
# writes a device UUID under ~/.cache/Microsoft/ and sends DNS queries for Microsoft's collector,
# from C++ where no Python audit hook sees it. ORT_DISABLE_TELEMETRY=1 set before ONNX Runtime
# initialises is its one full opt-out (measured on 1.32: no file, no socket; the runtime API
# disable_telemetry_events() alone still sends). Spawned decode workers inherit the variable.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

# A process that imported huggingface_hub first (a plugin, a test) has already read the variable:
# pin its switch too, so import order can never put Phototag online.
if "huggingface_hub.constants" in sys.modules:
    sys.modules["huggingface_hub.constants"].HF_HUB_OFFLINE = True

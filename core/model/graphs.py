"""open_clip's ViT towers as ONNX graphs, built from the weights alone: no torch, no open_clip.

The lean runtime (no `phototag[torch]`) still has to turn a hub's safetensors file into something
ONNX Runtime runs. These builders write, with the `onnx` package's helper API, the graph that
open_clip's VisionTransformer and CLIP text tower compute (open_clip 3.3, transformer.py),
reading the weights by open_clip's state_dict key names:

- image: patch convolution, class token, positional embedding, ln_pre, the residual blocks,
  ln_post, the class token's row: the feature h before `visual.proj` (which ProLIP retrains, so
  the encoder applies it in numpy, as it always has);
- text: token and positional embedding, the blocks under a causal mask, ln_final, the end
  token's row times `text_projection`. The sequence length is free, so the encoder can cut the
  padding after the longest prompt (the causal mask makes that exact).

A residual block: x + attn(ln_1(x)), then + mlp(ln_2(x)), mlp = c_proj(act(c_fc(.))), act GELU
(erf form, torch's default) or QuickGELU (x * sigmoid(1.702 x), OpenAI's weights). LayerNorm eps
is torch's 1e-5. tests/core/model/test_graphs.py checks both towers against open_clip on the same
random weights (cosine >= 0.99999).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization's first opset; ONNX Runtime 1.18+ runs it
_EPS = 1e-5


@dataclass
class _Graph:
    """Nodes and initializers being collected, with unique names."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value: np.ndarray | np.generic, hint: str = "c") -> str:
        name = self.name(hint)
        # np.ascontiguousarray would turn a scalar into shape (1,), which Gather keeps as an axis.
        self.initializers.append(numpy_helper.from_array(np.require(value, requirements="C"), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        (output,) = self.ops(op_type, 1, *inputs, **attributes)
        return output

    def ops(self, op_type: str, outputs: int, *inputs: str, **attributes) -> list[str]:
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attributes))
        return names

    def ints(self, *values: int) -> str:
        return self.const(np.asarray(values, np.int64), "shape")


def _f32(state: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    return np.asarray(state[key], np.float32)


def _layer_norm(g: _Graph, x: str, state: Mapping[str, np.ndarray], prefix: str) -> str:
    weight, bias = g.const(_f32(state, f"{prefix}.weight")), g.const(_f32(state, f"{prefix}.bias"))
    return g.op("LayerNormalization", x, weight, bias, axis=-1, epsilon=_EPS)


def _linear(g: _Graph, x: str, state: Mapping[str, np.ndarray], prefix: str) -> str:
    """torch's Linear: x @ weight.T + bias."""
    weight = g.const(_f32(state, f"{prefix}.weight").T, "w")
    return g.op("Add", g.op("MatMul", x, weight), g.const(_f32(state, f"{prefix}.bias"), "b"))


def _activation(g: _Graph, x: str, quick_gelu: bool) -> str:
    if quick_gelu:
        scaled = g.op("Mul", x, g.const(np.float32(1.702)))
        return g.op("Mul", x, g.op("Sigmoid", scaled))
    erf = g.op("Erf", g.op("Mul", x, g.const(np.float32(1 / math.sqrt(2)))))
    half = g.op("Mul", x, g.const(np.float32(0.5)))
    return g.op("Mul", half, g.op("Add", erf, g.const(np.float32(1))))


def _attention(
    g: _Graph, x: str, state: Mapping[str, np.ndarray], prefix: str, heads: int, mask: str | None
) -> str:
    """torch's MultiheadAttention (batch first) on (n, length, width)."""
    width = state[f"{prefix}.in_proj_weight"].shape[1]
    head_width = width // heads
    qkv = g.op(
        "Add",
        g.op("MatMul", x, g.const(_f32(state, f"{prefix}.in_proj_weight").T, "w")),
        g.const(_f32(state, f"{prefix}.in_proj_bias"), "b"),
    )
    # (n, length, 3, heads, head_width) -> (3, n, heads, length, head_width)
    split = g.op("Reshape", qkv, g.ints(0, 0, 3, heads, head_width))
    stacked = g.op("Transpose", split, perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", stacked, g.const(np.int64(i)), axis=0) for i in range(3))
    q = g.op("Mul", q, g.const(np.float32(head_width**-0.5)))
    scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
    if mask is not None:
        scores = g.op("Add", scores, mask)
    attended = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    merged = g.op("Reshape", g.op("Transpose", attended, perm=[0, 2, 1, 3]), g.ints(0, 0, width))
    weight = g.const(_f32(state, f"{prefix}.out_proj.weight").T, "w")
    return g.op(
        "Add", g.op("MatMul", merged, weight), g.const(_f32(state, f"{prefix}.out_proj.bias"))
    )


def _blocks(
    g: _Graph,
    x: str,
    state: Mapping[str, np.ndarray],
    prefix: str,
    heads: int,
    quick_gelu: bool,
    mask: str | None = None,
) -> str:
    for i in range(_count_blocks(state, prefix)):
        block = f"{prefix}.resblocks.{i}"
        attended = _attention(
            g, _layer_norm(g, x, state, f"{block}.ln_1"), state, f"{block}.attn", heads, mask
        )
        x = g.op("Add", x, attended)
        hidden = _linear(g, _layer_norm(g, x, state, f"{block}.ln_2"), state, f"{block}.mlp.c_fc")
        x = g.op(
            "Add", x, _linear(g, _activation(g, hidden, quick_gelu), state, f"{block}.mlp.c_proj")
        )
    return x


def _count_blocks(state: Mapping[str, np.ndarray], prefix: str) -> int:
    start = f"{prefix}.resblocks."
    return len({key[len(start) :].split(".")[0] for key in state if key.startswith(start)})


def image_graph(state: Mapping[str, np.ndarray], heads: int, quick_gelu: bool) -> onnx.ModelProto:
    """pixels (n, 3, size, size) float32 -> features h (n, width), open_clip's VisionTransformer
    without its projection."""
    g = _Graph()
    conv = _f32(state, "visual.conv1.weight")
    width, _, patch, _ = conv.shape
    grid = round(math.sqrt(state["visual.positional_embedding"].shape[0] - 1))
    size = grid * patch
    patches = g.op("Conv", "pixels", g.const(conv, "conv"), strides=[patch, patch])
    tokens = g.op("Transpose", g.op("Reshape", patches, g.ints(0, 0, -1)), perm=[0, 2, 1])
    batch = g.op("Slice", g.op("Shape", "pixels"), g.ints(0), g.ints(1))
    class_shape = g.op("Concat", batch, g.ints(1, width), axis=0)
    class_token = g.const(_f32(state, "visual.class_embedding").reshape(1, 1, width), "cls")
    x = g.op("Concat", g.op("Expand", class_token, class_shape), tokens, axis=1)
    x = g.op("Add", x, g.const(_f32(state, "visual.positional_embedding"), "pos"))
    x = _layer_norm(g, x, state, "visual.ln_pre")
    x = _blocks(g, x, state, "visual.transformer", heads, quick_gelu)
    x = _layer_norm(g, x, state, "visual.ln_post")
    g.op("Gather", x, g.const(np.int64(0)), axis=1)
    g.nodes[-1].output[0] = "features"
    pixels = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, size, size])
    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", width])
    return _model(g, "phototag-image-tower", [pixels], [features])


def text_graph(state: Mapping[str, np.ndarray], heads: int, quick_gelu: bool) -> onnx.ModelProto:
    """tokens (n, length) int64 and each row's end-token position (n,) int64 -> the text
    embedding (n, embed_dim), not normalised: open_clip's CLIP.encode_text."""
    g = _Graph()
    context = state["positional_embedding"].shape[0]
    length = g.op("Slice", g.op("Shape", "tokens"), g.ints(1), g.ints(2))
    x = g.op("Gather", g.const(_f32(state, "token_embedding.weight"), "vocab"), "tokens", axis=0)
    positions = g.op(
        "Slice", g.const(_f32(state, "positional_embedding"), "pos"), g.ints(0), length
    )
    x = g.op("Add", x, positions)
    causal = np.triu(np.full((context, context), -np.inf, np.float32), 1)
    mask = g.op(
        "Slice", g.const(causal, "mask"), g.ints(0, 0), g.op("Concat", length, length, axis=0)
    )
    x = _blocks(g, x, state, "transformer", heads, quick_gelu, mask)
    x = _layer_norm(g, x, state, "ln_final")
    ends = g.op("Unsqueeze", "ends", g.ints(1))
    pooled = g.op("GatherND", x, ends, batch_dims=1)
    g.op("MatMul", pooled, g.const(_f32(state, "text_projection"), "proj"))
    g.nodes[-1].output[0] = "embeddings"
    embed_dim = state["text_projection"].shape[1]
    inputs = [
        helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", "length"]),
        helper.make_tensor_value_info("ends", TensorProto.INT64, ["batch"]),
    ]
    output = helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", embed_dim])
    return _model(g, "phototag-text-tower", inputs, [output])


def _model(g: _Graph, name: str, inputs: list, outputs: list) -> onnx.ModelProto:
    graph = helper.make_graph(g.nodes, name, inputs, outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what ONNX Runtime 1.18 reads; newer onnx would write a later one
    model.producer_name = "phototag"
    onnx.checker.check_model(model)
    return model

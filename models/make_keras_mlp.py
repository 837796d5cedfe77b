#!/usr/bin/python3
"""make_keras_mlp.py — writes, with onnx.helper, the Keras-style MLP (Dense 256
relu, Dropout 0.5, Dense 128 relu, Dropout 0.3, Dense 64 relu, Dropout 0.2,
Dense 10 softmax) the way tf2onnx writes an inference graph of a Keras model:
MatMul + Add (no Gemm), ":0" tensor names, a symbolic batch "unk__6", opset 13,
Dropout gone (keras_mlp.onnx) or left as Identity nodes (keras_mlp_identity.onnx).
Random weights from a fixed numpy seed; the reference output is computed here
in float64 and cast to float32.
usage: /usr/bin/python3 models/make_keras_mlp.py [OUTDIR]"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
FEATURES = 64
LAYERS = [(256, "relu", 0.5), (128, "relu", 0.3), (64, "relu", 0.2), (10, "softmax", None)]
DENSE = ["dense", "dense_1", "dense_2", "dense_3"]
DROPOUT = ["dropout", "dropout_1", "dropout_2"]


def make_weights(rng):
    """Glorot-uniform kernels and small random biases, as float32."""
    weights, fan_in = [], FEATURES
    for units, _, _ in LAYERS:
        limit = np.sqrt(6.0 / (fan_in + units))
        w = rng.uniform(-limit, limit, size=(fan_in, units)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, size=(units,)).astype(np.float32)
        weights.append((w, b))
        fan_in = units
    return weights


def build(weights, with_identity):
    nodes, inits = [], []
    x = "input_1:0"
    for i, ((w, b), (units, act, drop)) in enumerate(zip(weights, LAYERS)):
        scope = f"sequential/{DENSE[i]}"
        wname = f"{scope}/MatMul/ReadVariableOp:0"
        bname = f"{scope}/BiasAdd/ReadVariableOp:0"
        inits += [numpy_helper.from_array(w, wname), numpy_helper.from_array(b, bname)]
        nodes.append(helper.make_node("MatMul", [x, wname], [f"{scope}/MatMul:0"], name=f"{scope}/MatMul"))
        nodes.append(helper.make_node("Add", [f"{scope}/MatMul:0", bname], [f"{scope}/BiasAdd:0"],
                                      name=f"{scope}/BiasAdd"))
        if act == "relu":
            x = f"{scope}/Relu:0"
            nodes.append(helper.make_node("Relu", [f"{scope}/BiasAdd:0"], [x], name=f"{scope}/Relu"))
        else:
            x = "dense_3"
            nodes.append(helper.make_node("Softmax", [f"{scope}/BiasAdd:0"], [x], name=f"{scope}/Softmax",
                                          axis=-1))
        if drop is not None and with_identity:
            y = f"sequential/{DROPOUT[i]}/Identity:0"
            nodes.append(helper.make_node("Identity", [x], [y], name=f"sequential/{DROPOUT[i]}/Identity"))
            x = y
    graph = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__6", FEATURES])],
        [helper.make_tensor_value_info("dense_3", TensorProto.FLOAT, ["unk__6", 10])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="tf2onnx", producer_version="1.9.3",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def reference(weights, x):
    h = x.astype(np.float64)
    for (w, b), (_, act, _) in zip(weights, LAYERS):
        h = h @ w.astype(np.float64) + b.astype(np.float64)
        if act == "relu":
            h = np.maximum(h, 0.0)
        else:
            h = np.exp(h - h.max(axis=-1, keepdims=True))
            h = h / h.sum(axis=-1, keepdims=True)
    return h.astype(np.float32)


def main():
    rng = np.random.RandomState(20240613)
    os.makedirs(OUT, exist_ok=True)
    weights = make_weights(rng)
    onnx.save(build(weights, False), f"{OUT}/keras_mlp.onnx")
    onnx.save(build(weights, True), f"{OUT}/keras_mlp_identity.onnx")
    # Scaled so the softmax is not saturated nor flat.
    x = rng.standard_normal((5, FEATURES)).astype(np.float32) * 2.0
    np.save(f"{OUT}/keras_mlp.in.npy", x)
    np.save(f"{OUT}/keras_mlp.ref.npy", reference(weights, x))
    print("wrote keras_mlp models to", OUT)


if __name__ == "__main__":
    main()

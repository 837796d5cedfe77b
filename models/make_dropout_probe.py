#!/usr/bin/python3
"""make_dropout_probe.py — writes the models of the dropout tests:
dropout_probe.onnx: (output, mask) = Dropout(x[200000], ratio=0.3, training_mode=true),
both graph outputs, with dropout_probe.in.npy (200,000 ones) for the statistical test;
dropout_bad_ratio.onnx: a training graph whose Dropout has ratio 1.5 (a compile error).
usage: /usr/bin/python3 models/make_dropout_probe.py [OUTDIR]"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
N = 200000


def dropout_model(ratio, n, name):
    inits = [numpy_helper.from_array(np.array(ratio, dtype=np.float32), "ratio"),
             numpy_helper.from_array(np.array(True), "training_mode")]
    node = helper.make_node("Dropout", ["x", "ratio", "training_mode"], ["output", "mask"],
                            name="probe_dropout")
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [n]),
         helper.make_tensor_value_info("mask", TensorProto.BOOL, [n])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="kiln-models",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def main():
    os.makedirs(OUT, exist_ok=True)
    onnx.save(dropout_model(0.3, N, "dropout_probe"), f"{OUT}/dropout_probe.onnx")
    np.save(f"{OUT}/dropout_probe.in.npy", np.ones(N, dtype=np.float32))
    onnx.save(dropout_model(1.5, 16, "dropout_bad_ratio"), f"{OUT}/dropout_bad_ratio.onnx")
    np.save(f"{OUT}/dropout_bad_ratio.in.npy", np.ones(16, dtype=np.float32))
    print("wrote dropout probe models to", OUT)


if __name__ == "__main__":
    main()

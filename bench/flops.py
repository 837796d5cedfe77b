#!/usr/bin/python3
"""flops.py — counts a model's arithmetic from its ONNX graph: 2 x the
multiply-accumulates of Conv, Gemm and MatMul (other ops are ignored), after
ONNX shape inference with every symbolic dim set to BATCH.
usage: /usr/bin/python3 bench/flops.py MODEL.onnx [BATCH]   -> prints FLOPs
Needs Debian's python3-onnx."""
import sys

import numpy as np
import onnx
from onnx import shape_inference


def fix_batch(model, batch):
    """Replaces every symbolic dim of the graph inputs and outputs by batch."""
    for vi in list(model.graph.input) + list(model.graph.output):
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param or not d.HasField("dim_value"):
                d.dim_value = batch


def shapes_of(model):
    """Maps value name -> shape list (ints) for every tensor with a known shape."""
    out = {}
    vis = list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output)
    for vi in vis:
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            out[vi.name] = [d.dim_value for d in dims]
    for t in model.graph.initializer:
        out[t.name] = list(t.dims)
    return out


def node_macs(node, shp):
    """Multiply-accumulates of one Conv / Gemm / MatMul node (0 for others)."""
    if node.op_type == "Conv":
        w, y = shp[node.input[1]], shp[node.output[0]]
        return int(np.prod(y)) * int(np.prod(w[1:]))   # per output: Cin/g * kernel
    if node.op_type == "Gemm":
        a, y = shp[node.input[0]], shp[node.output[0]]
        trans_a = any(at.name == "transA" and at.i for at in node.attribute)
        k = a[0] if trans_a else a[1]
        return int(np.prod(y)) * k
    if node.op_type == "MatMul":
        a, y = shp[node.input[0]], shp[node.output[0]]
        return int(np.prod(y)) * a[-1]
    return 0


def main():
    model = onnx.load(sys.argv[1])
    fix_batch(model, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    model = shape_inference.infer_shapes(model)
    shp = shapes_of(model)
    macs = 0
    for node in model.graph.node:
        try:
            macs += node_macs(node, shp)
        except KeyError as e:
            sys.exit(f"flops.py: node {node.name or node.op_type}: no inferred shape for {e}")
    print(2 * macs)


if __name__ == "__main__":
    main()

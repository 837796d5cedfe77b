#!/usr/bin/python3
"""gen_models.py — exports kiln's benchmark models (random weights, fixed seed)
to ONNX opset 13, each with one input NAME.in.npy and PyTorch's eval-mode
output NAME.ref.npy: ResNet-18, MobileNetV2, SqueezeNet 1.1 (batch N dynamic,
BatchNorm statistics calibrated on random batches) and a 4-layer transformer
encoder (static shape; plus its training-mode export transformer_enc4_train.onnx,
no reference since its output is random).
usage: /usr/bin/python3 bench/gen_models.py OUTDIR [NAME...]
Needs Debian's python3-torch, python3-torchvision and python3-onnx."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision


def export(model, x, path, training, dynamic_batch):
    model.train(training)
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    axes = {"input": {0: "N"}, "output": {0: "N"}} if dynamic_batch else None
    torch.onnx.export(model, x, path, opset_version=13, training=mode,
                      do_constant_folding=not training,
                      input_names=["input"], output_names=["output"], dynamic_axes=axes)


def calibrate(model, shape):
    """Gives BatchNorm layers non-trivial running statistics (fresh ones are
    mean 0, var 1, which makes BN an identity and lets activations fade): a few
    training-mode forward passes on random batches, without gradients."""
    if not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        return
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, *shape[1:]))


def write(out, name, model, x, dynamic_batch=True, train_export=False):
    """Writes NAME.onnx, NAME.in.npy, NAME.ref.npy (and NAME_train.onnx)."""
    export(model, x, f"{out}/{name}.onnx", False, dynamic_batch)
    if train_export:
        export(model, x, f"{out}/{name}_train.onnx", True, dynamic_batch)
    model.eval()
    with torch.no_grad():
        ref = model(x)
    np.save(f"{out}/{name}.in.npy", x.numpy())
    np.save(f"{out}/{name}.ref.npy", ref.numpy())
    print("wrote", name, flush=True)


def transformer():
    layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.1, batch_first=True)
    return nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)


# name -> (model constructor, input shape, dynamic batch, also a training export)
MODELS = {
    "resnet18": (torchvision.models.resnet18, (1, 3, 224, 224), True, False),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, (1, 3, 224, 224), True, False),
    "squeezenet1_1": (torchvision.models.squeezenet1_1, (1, 3, 224, 224), True, False),
    "transformer_enc4": (transformer, (1, 128, 256), False, True),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-models"
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        make, shape, dynamic, train = MODELS[name]
        torch.manual_seed(0)   # per model: each file is the same whatever is selected
        model = make()
        calibrate(model, shape)
        x = torch.randn(*shape)
        write(out, name, model, x, dynamic, train)


if __name__ == "__main__":
    main()

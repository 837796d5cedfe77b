#!/usr/bin/python3
"""make_seednet.py — exports the seed PyTorch network (Linear 100->256, ReLU,
Dropout 0.5, Linear 256->128, ReLU, Dropout 0.3, Linear 128->10) to ONNX
opset 13 with a dynamic batch "N", twice from the same module state: in eval
mode (seednet_eval.onnx, no Dropout) and in training mode (seednet_train.onnx,
Dropout kept with training_mode=true). Writes sample inputs (batch 4, 7, 1)
and PyTorch eval-mode reference outputs next to this script.
usage: /usr/bin/python3 models/make_seednet.py [OUTDIR]"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


class SeedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100, 256)
        self.dropout1 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(256, 128)
        self.dropout2 = nn.Dropout(0.3)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.dropout1(torch.relu(self.fc1(x)))
        x = self.dropout2(torch.relu(self.fc2(x)))
        return self.fc3(x)


def export(model, x, path, training):
    model.train(training)
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, x, path, opset_version=13, training=mode,
                      do_constant_folding=not training,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    net = SeedNet()
    x4 = torch.randn(4, 100)
    x7 = torch.randn(7, 100)
    x1 = torch.randn(1, 100)
    export(net, x4, f"{OUT}/seednet_eval.onnx", training=False)
    export(net, x4, f"{OUT}/seednet_train.onnx", training=True)
    net.eval()
    with torch.no_grad():
        for tag, x in (("", x4), (".b7", x7), (".b1", x1)):
            np.save(f"{OUT}/seednet_eval{tag}.in.npy", x.numpy())
            np.save(f"{OUT}/seednet_eval{tag}.ref.npy", net(x).numpy())
    # Bad inputs for the error tests: wrong feature count, wrong dtype.
    np.save(f"{OUT}/seednet_bad_shape.in.npy", torch.randn(4, 99).numpy())
    np.save(f"{OUT}/seednet_bad_dtype.in.npy", x4.numpy().astype(np.float64))
    print("wrote seednet models to", OUT)


if __name__ == "__main__":
    main()

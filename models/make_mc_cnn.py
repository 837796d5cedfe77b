#!/usr/bin/python3
# make_mc_cnn.py — a small CNN with two Dropouts exported in TRAINING mode
# (Dropout kept) for kiln's MC-dropout tests, plus a reference MC mean and
# unbiased variance from PyTorch (Dropout in train mode, the rest in eval).
# usage: /usr/bin/python3 make_mc_cnn.py [OUTDIR]   (writes mc_cnn.*)
import sys, os
import numpy as np
import torch
import torch.nn as nn

T = 4000


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.drop1 = nn.Dropout(0.3)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(6 * 4 * 4, 16)
        self.drop2 = nn.Dropout(0.2)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(self.drop1(torch.relu(self.bn(self.conv(x)))))
        x = torch.flatten(x, 1)
        return self.fc2(self.drop2(torch.relu(self.fc1(x))))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(7)
    net = Net()
    with torch.no_grad():   # non-trivial running statistics
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(2, 2, 8, 8)
    net.train()
    torch.onnx.export(net, (x,), os.path.join(out, "mc_cnn.onnx"), opset_version=13,
                      do_constant_folding=False, input_names=["x"], output_names=["y"],
                      training=torch.onnx.TrainingMode.TRAINING)
    net.eval()
    net.drop1.train()
    net.drop2.train()
    torch.manual_seed(1234)
    with torch.no_grad():
        ys = torch.stack([net(x) for _ in range(T)]).double()
    np.save(os.path.join(out, "mc_cnn.in.npy"), x.numpy())
    np.save(os.path.join(out, "mc_cnn.mean.npy"), ys.mean(0).numpy().astype(np.float32))
    np.save(os.path.join(out, "mc_cnn.var.npy"), ys.var(0, unbiased=True).numpy().astype(np.float32))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch Prototypical Networks training step, for the speed comparison with
metabench's ProtoNets (maml.BenchmarkProtoNetsStep, the same shapes).

Conv-4 (four blocks of 3x3 conv with bias, batch norm in training mode, ReLU,
2x2 max-pool; 64 filters) embeds each task's support and query images as one
batch of 1x28x28 random images; logits are minus the squared Euclidean
distances to the support means; the meta-batch's mean cross-entropy is
back-propagated and Adam steps. Prints episodes per second (median over
rounds) as JSON. Needs Debian's python3-torch.

usage: /usr/bin/python3 scripts/protonets_torch.py [--threads 2] [--queries 5] [--meta-batch 4] [--seconds 20]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv4(filters=64):
    layers, cin = [], 1
    for _ in range(4):
        layers += [nn.Conv2d(cin, filters, 3, padding=1), nn.BatchNorm2d(filters), nn.ReLU(), nn.MaxPool2d(2)]
        cin = filters
    return nn.Sequential(*layers, nn.Flatten())


def task_loss(net, xs, xq, ways, shots, queries):
    z = net(torch.cat([xs, xq]))
    protos = z[: ways * shots].view(ways, shots, -1).mean(1)
    logits = -((z[ways * shots:].unsqueeze(1) - protos.unsqueeze(0)) ** 2).sum(2)
    return F.cross_entropy(logits, torch.arange(ways).repeat_interleave(queries))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ways", type=int, default=5)
    ap.add_argument("--shots", type=int, default=1)
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--meta-batch", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = conv4()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    tasks = [(torch.rand(a.ways * a.shots, 1, 28, 28), torch.rand(a.ways * a.queries, 1, 28, 28)) for _ in range(a.meta_batch)]

    def step():
        opt.zero_grad()
        loss = sum(task_loss(net, xs, xq, a.ways, a.shots, a.queries) for xs, xq in tasks) / len(tasks)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    rates = []
    for _ in range(a.rounds):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < a.seconds / a.rounds:
            step()
            n += 1
        rates.append(n * a.meta_batch / (time.perf_counter() - t0))
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "queries": a.queries, "meta_batch": a.meta_batch,
                      "episodes_per_s": statistics.median(rates), "rounds": rates}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch reference MAML on the data of a metabench experiment file.

Plain PyTorch MAML (Finn et al. 2017), written for the comparison of
issue #37 ("MAML against a reference at equal tasks"): it trains on exactly
metabench's training images and classes and tests on exactly its fixed test
episodes, read from the archive that

    metabench episodes --experiment FILE.yaml [--set k=v ...] --out DATA.npz

writes (experiment/export.go describes the arrays), with the file's
hyperparameters (ways, shots, queries, meta-batch, inner steps and rate,
test steps, Adam rate and its linear or cosine decay, element-wise clip).

What it reproduces of metabench (docs/REPRODUCE.md lists it):
  - Conv-4: 4 x [conv3x3 (F filters, padding 1, bias), batch norm, ReLU,
    max-pool 2x2], then a linear head; PyTorch's default initialisation
    (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, gamma 1,
    beta 0), drawn from torch.manual_seed(--seed);
  - transductive batch norm: the statistics of the batch at hand (the
    support set, the query set) at training and test time, biased variance,
    eps from the archive, no running statistics;
  - every parameter (batch-norm scale and shift included) adapted by the
    inner loop of plain gradient descent on the mean cross-entropy;
  - second-order meta-gradient through autograd (create_graph=True), or
    first order with --first-order or method fomaml; the meta-gradient is
    the mean over the meta-batch; Adam (0.9, 0.999, 1e-8);
  - images as uint8 / 255 in float32; rotation code r = numpy.rot90(k=r)
    (r*90 degrees counter-clockwise), checked against the archive's images
    rendered by metabench before training.
Tasks come from its own seeded generator (numpy PCG64(--seed)): the
distribution of metabench's sampler (ways distinct training classes, then
shots+queries distinct images of each), not its draws.

With --init archive it starts from the metabench parameters the archive
holds (`metabench episodes ... --params RUNDIR`) instead: --eval-at-tasks 0
then scores exactly metabench's model on the same episodes, which isolates
the test path (images, rotations, batch norm, inner loop) from training.

It evaluates at the task counts --eval-at-tasks (multiples of meta_batch)
and writes --out (JSON, atomically, after every point): per point the tasks,
iterations, training seconds (meta-iterations only, evaluation excluded),
mean accuracy, the accuracy of every test episode (in the archive's order,
so that metabench's seed statistics apply) and the evaluation seconds.
A checkpoint (--out + ".ckpt": parameters, Adam state, the task generator's
and torch's random state, the results so far) is saved atomically at every
point, every --checkpoint-every seconds, and on SIGTERM or Ctrl-C: the
signal is noted, the meta-iteration under way finishes (an evaluation under
way is abandoned and redone on resume), the checkpoint is written and the
script exits with 128 + the signal number. --resume continues from it and
ends exactly where an uninterrupted run does (same parameters, same
accuracies); it refuses a checkpoint of another seed, method, start or
archive (the archive's digest: the SHA-256 of its members' names and
uncompressed bytes, which scripts/maml_vs_torch.sh also records).
"""
import argparse
import hashlib
import json
import math
import os
import platform
import signal
import sys
import time
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def archive_digest(path):
    """SHA-256 of the archive's members (name, length, uncompressed bytes,
    in name order): the identity of an export, whatever its compression.
    scripts/maml_vs_torch.sh computes the same."""
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            b = z.read(name)
            h.update(b"%s\0%d\0" % (name.encode(), len(b)))
            h.update(b)
    return h.hexdigest()


class Stop:
    """Notes SIGTERM and SIGINT (Ctrl-C): the training loop checks it at
    safe points, saves its checkpoint and exits."""

    signum = 0

    @classmethod
    def install(cls):
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, cls.note)

    @classmethod
    def note(cls, signum, frame):
        # no printing here: the handler may interrupt a print of the loop
        cls.signum = cls.signum or signum


def load_export(path):
    """Reads a `metabench episodes --experiment` archive: the protocol and
    the arrays as tensors."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    proto = json.loads(bytes(arrays.pop("protocol")).decode("utf-8"))
    if proto.get("format") != 1:
        sys.exit("%s: archive format %r, this script reads format 1" % (path, proto.get("format")))
    data = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
    return proto, data


def gather(images, index, rot):
    """Float32 images index (base image rows) rotated by rot (codes 0..3,
    r*90 degrees counter-clockwise), value pixel/255."""
    x = images[index].float() / 255
    for r in (1, 2, 3):
        m = rot == r
        if bool(m.any()):
            x[m] = torch.rot90(x[m], r, dims=(-2, -1))
    return x


def verify_checks(proto, data):
    """Renders the archive's check images (virtual training images) with
    this script's rotation and compares them with metabench's rendering."""
    idx = data["check_index"]
    if proto["rotations"]:
        base, rot = idx // 4, (idx % 4).to(torch.uint8)
    else:
        base, rot = idx, torch.zeros_like(idx, dtype=torch.uint8)
    mine = gather(data["images"], base, rot)
    theirs = data["check_images"].float() / 255
    if not torch.equal(mine, theirs):
        sys.exit("check images differ from metabench's rendering: the rotation or pixel convention is wrong")


def refuse_unsupported(proto):
    """Exits on protocol settings this reference does not implement."""
    problems = []
    if proto["method"] not in ("maml", "fomaml"):
        problems.append("method %s (maml or fomaml)" % proto["method"])
    if proto["model"] != "conv4":
        problems.append("model %s (conv4)" % proto["model"])
    for key in ("first_order_iterations", "shift"):
        if proto[key]:
            problems.append("%s %s (0)" % (key, proto[key]))
    if proto["zero_head"]:
        problems.append("zero_head (off)")
    if proto["meta_lr_schedule"] not in ("", "linear", "cosine"):
        problems.append("meta_lr_schedule %s (linear or cosine)" % proto["meta_lr_schedule"])
    if problems:
        sys.exit("not implemented by this reference: " + "; ".join(problems))


def init_params(proto, seed):
    """Conv-4 parameters with PyTorch's default initialisation, in
    metabench's order: conv w, b, bn gamma, beta per block, then fc w, b."""
    torch.manual_seed(seed)
    c, h, _ = proto["image"]
    f = proto["filters"]
    params = []
    for _ in range(4):
        conv, bn = nn.Conv2d(c, f, 3, padding=1), nn.BatchNorm2d(f)
        params += [conv.weight, conv.bias, bn.weight, bn.bias]
        c = f
    side = h // 16
    fc = nn.Linear(f * side * side, proto["ways"])
    params += [fc.weight, fc.bias]
    return [p.detach().clone().requires_grad_(True) for p in params]


def archive_params(proto, data):
    """The metabench parameters of the archive (`metabench episodes
    --params RUNDIR`), in this script's layout: fc.w transposed to
    [ways, features]."""
    names = proto.get("params") or []
    if not names:
        sys.exit("--init archive: the archive holds no parameters (export it with --params RUNDIR)")
    params = []
    for name in names:
        v = data["param." + name].clone()
        if name == "fc.w":
            v = v.t().contiguous()
        params.append(v.requires_grad_(True))
    return params


def forward(x, p, eps):
    """Conv-4 logits with transductive batch norm (batch statistics)."""
    for b in range(4):
        w, bias, gamma, beta = p[4 * b:4 * b + 4]
        x = F.conv2d(x, w, bias, padding=1)
        x = F.batch_norm(x, None, None, weight=gamma, bias=beta, training=True, eps=eps)
        x = F.max_pool2d(F.relu(x), 2)
    return F.linear(x.reshape(x.size(0), -1), p[16], p[17])


def adapt(params, xs, ys, steps, lr, eps, create_graph):
    """steps of gradient descent on the support loss from params."""
    fast = params
    for _ in range(steps):
        loss = F.cross_entropy(forward(xs, fast, eps), ys)
        grads = torch.autograd.grad(loss, fast, create_graph=create_graph)
        fast = [w - lr * g for w, g in zip(fast, grads)]
    return fast


class TaskSampler:
    """Training tasks from the archive's training classes, drawn by a
    numpy PCG64 generator: ways distinct classes, then shots+queries
    distinct images of each (the first shots the support set)."""

    def __init__(self, proto, data, seed):
        self.proto = proto
        self.classes = data["train_classes"].numpy()
        labels = data["labels"].numpy()
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(labels.max() + 2))
        self.by_class = [order[bounds[c]:bounds[c + 1]] for c in range(labels.max() + 1)]
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def task(self):
        """One task: support and query (base index, rotation) arrays in
        label order."""
        p = self.proto
        ways, shots, queries = p["ways"], p["shots"], p["queries"]
        picked = self.classes[self.rng.choice(len(self.classes), ways, replace=False)]
        sup, qry, srot, qrot = [], [], [], []
        for c in picked:
            base, r = (c // 4, c % 4) if p["rotations"] else (c, 0)
            imgs = self.by_class[base]
            pick = imgs[self.rng.choice(len(imgs), shots + queries, replace=False)]
            sup += list(pick[:shots])
            qry += list(pick[shots:])
            srot += [r] * shots
            qrot += [r] * queries
        return (torch.tensor(sup), torch.tensor(srot, dtype=torch.uint8),
                torch.tensor(qry), torch.tensor(qrot, dtype=torch.uint8))


def meta_lr(proto, it):
    """Adam rate at meta-iteration it (0-based), as metabench's schedule."""
    lr0, final, n = proto["meta_lr"], proto["meta_lr_final"], proto["iterations"]
    if n <= 0:
        return lr0
    f = min(it / n, 1.0)
    if proto["meta_lr_schedule"] == "cosine":
        return final + (lr0 - final) * (1 + math.cos(math.pi * f)) / 2
    if final > 0:
        return lr0 + (final - lr0) * f
    return lr0


def meta_iteration(params, opt, sampler, images, proto, it, first_order):
    """One meta-iteration: the mean meta-gradient of meta_batch tasks, then
    one Adam step. Returns the mean query loss and accuracy."""
    p = proto
    eps, mb = p["bn_eps"], p["meta_batch"]
    ys = torch.arange(p["ways"]).repeat_interleave(p["shots"])
    yq = torch.arange(p["ways"]).repeat_interleave(p["queries"])
    opt.zero_grad(set_to_none=True)
    loss_sum = acc_sum = 0.0
    for _ in range(mb):
        s, sr, q, qr = sampler.task()
        fast = adapt(params, gather(images, s, sr), ys, p["inner_steps"], p["inner_lr"], eps, not first_order)
        if first_order:
            fast = [w.detach().requires_grad_(True) for w in fast]
        logits = forward(gather(images, q, qr), fast, eps)
        loss = F.cross_entropy(logits, yq)
        if first_order:
            grads = torch.autograd.grad(loss, fast)
            for w, g in zip(params, grads):
                w.grad = g / mb if w.grad is None else w.grad + g / mb
        else:
            (loss / mb).backward()
        loss_sum += loss.item()
        acc_sum += (logits.argmax(1) == yq).float().mean().item()
    if p["clip"] > 0:
        for w in params:
            w.grad.clamp_(-p["clip"], p["clip"])
    for group in opt.param_groups:
        group["lr"] = meta_lr(p, it)
    opt.step()
    return loss_sum / mb, acc_sum / mb


def evaluate(params, proto, data):
    """Accuracy on every test episode of the archive, in its order; None
    when a signal stops it (Stop)."""
    p = proto
    eps = p["bn_eps"]
    ys = torch.arange(p["eval_ways"]).repeat_interleave(p["eval_shots"])
    yq = torch.arange(p["eval_ways"]).repeat_interleave(p["eval_queries"])
    theta = [w.detach().requires_grad_(True) for w in params]
    accs = []
    for e in range(data["test_support"].shape[0]):
        if Stop.signum:
            return None
        xs = gather(data["images"], data["test_support"][e], data["test_support_rot"][e])
        xq = gather(data["images"], data["test_query"][e], data["test_query_rot"][e])
        fast = adapt(theta, xs, ys, p["test_steps"], p["inner_lr"], eps, False)
        with torch.no_grad():
            pred = forward(xq, [w.detach() for w in fast], eps).argmax(1)
        accs.append((pred == yq).float().mean().item())
    return accs


def write_json(path, obj):
    """Writes obj as JSON atomically."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def parse_points(text, meta_batch):
    """The evaluation task counts: multiples of meta_batch (0: before
    training), sorted."""
    pts = sorted({int(t) for t in text.split(",") if t.strip()})
    bad = [t for t in pts if t < 0 or t % meta_batch]
    if not pts or bad:
        sys.exit("--eval-at-tasks %s: want multiples of meta_batch %d (0 or more)" % (text, meta_batch))
    return pts


def save_checkpoint(path, params, opt, sampler, state, run):
    """Parameters, Adam state, the task generator's and torch's random
    state, the results so far and what identifies the run (run: seed,
    method, start, archive digest), written atomically."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save({"params": [w.detach() for w in params], "opt": opt.state_dict(),
                    "rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                    "state": state, "run": run}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path, params, opt, sampler, run):
    """Restores save_checkpoint's state and returns the results so far;
    exits when the checkpoint is another run's (run differs)."""
    ck = torch.load(path)
    theirs = ck.get("run", {})
    diff = ["%s %r (now %r)" % (k, theirs.get(k), v) for k, v in run.items() if theirs.get(k) != v]
    if diff:
        sys.exit("--resume: %s is another run's checkpoint: %s" % (path, "; ".join(diff)))
    with torch.no_grad():
        for w, v in zip(params, ck["params"]):
            w.copy_(v)
    opt.load_state_dict(ck["opt"])
    sampler.rng.bit_generator.state = ck["rng"]
    torch.set_rng_state(ck["torch_rng"])
    return ck["state"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="archive of `metabench episodes --experiment`")
    ap.add_argument("--seed", type=int, default=0, help="initialisation and task seed")
    ap.add_argument("--eval-at-tasks", required=True, help="comma-separated task counts, e.g. 10000,40000,80000")
    ap.add_argument("--out", required=True, help="results JSON")
    ap.add_argument("--first-order", action="store_true", help="first-order MAML (method fomaml implies it)")
    ap.add_argument("--init", choices=["torch", "archive"], default="torch",
                    help="initial parameters: PyTorch's default initialisation from --seed, or the metabench "
                         "parameters in the archive (`metabench episodes --params RUNDIR`)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--log-every", type=int, default=100, help="print a training line every N iterations")
    ap.add_argument("--resume", action="store_true", help="continue from --out.ckpt")
    ap.add_argument("--checkpoint-every", type=float, default=600,
                    help="also save the checkpoint every so many seconds of wall clock (0: only at points and signals)")
    a = ap.parse_args()
    Stop.install()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    proto, data = load_export(a.data)
    refuse_unsupported(proto)
    verify_checks(proto, data)
    first_order = a.first_order or proto["method"] == "fomaml"
    points = parse_points(a.eval_at_tasks, proto["meta_batch"])

    params = init_params(proto, a.seed) if a.init == "torch" else archive_params(proto, data)
    opt = torch.optim.Adam(params, lr=proto["meta_lr"], betas=(0.9, 0.999), eps=1e-8)
    sampler = TaskSampler(proto, data, a.seed)
    ck_path = a.out + ".ckpt"
    digest = archive_digest(a.data)
    run = {"seed": a.seed, "first_order": first_order, "init": a.init, "data_sha256": digest}
    state = {"iterations": 0, "train_seconds": 0.0, "points": [], "log": []}
    if a.resume:
        state = load_checkpoint(ck_path, params, opt, sampler, run)
    rec = {
        "side": "pytorch", "script": "scripts/maml_reference.py", "data": os.path.relpath(a.data),
        "data_sha256": digest, "experiment": proto.get("experiment", ""), "seed": a.seed, "first_order": first_order, "init": a.init,
        "meta_batch": proto["meta_batch"], "eval_at_tasks": points,
        "argv": [os.path.relpath(sys.argv[0])] + sys.argv[1:],  # relative: the file is committed (no machine paths)
        "env": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                "threads": torch.get_num_threads(), "nproc": os.cpu_count(), "platform": platform.platform()},
        "protocol": {k: v for k, v in proto.items() if k != "config_yaml"},
    }
    mb = proto["meta_batch"]
    print("pytorch reference: seed %d, %s, meta-batch %d, evaluating at %s tasks on %d episodes" % (
        a.seed, "first order" if first_order else "second order", mb, points, data["test_support"].shape[0]), flush=True)

    def stop():
        """Saves the checkpoint and exits: a signal arrived (Stop)."""
        save_checkpoint(ck_path, params, opt, sampler, state, run)
        print("stopped by signal %d at iteration %d (%d tasks, %.1fs of training); checkpoint %s, --resume continues" % (
            Stop.signum, state["iterations"], state["iterations"] * mb, state["train_seconds"], ck_path), flush=True)
        sys.exit(128 + Stop.signum)

    saved = time.monotonic()
    for target in points:
        if any(pt["tasks"] == target for pt in state["points"]):
            continue
        while state["iterations"] * mb < target:
            if Stop.signum:
                stop()
            if a.checkpoint_every > 0 and time.monotonic() - saved >= a.checkpoint_every:
                save_checkpoint(ck_path, params, opt, sampler, state, run)
                saved = time.monotonic()
            t0 = time.perf_counter()
            loss, acc = meta_iteration(params, opt, sampler, data["images"], proto, state["iterations"], first_order)
            state["train_seconds"] += time.perf_counter() - t0
            state["iterations"] += 1
            if state["iterations"] % a.log_every == 0:
                state["log"].append({"iteration": state["iterations"], "train_seconds": state["train_seconds"],
                                     "loss": loss, "acc": acc})
                print("it %d  %.1fs  loss %.3f acc %.3f" % (state["iterations"], state["train_seconds"], loss, acc),
                      flush=True)
        t0 = time.perf_counter()
        accs = evaluate(params, proto, data)
        if accs is None:
            stop()
        pt = {"tasks": target, "iterations": state["iterations"], "train_seconds": state["train_seconds"],
              "eval_seconds": time.perf_counter() - t0, "mean_acc": float(np.mean(accs)),
              "ci95": float(1.96 * np.std(accs) / math.sqrt(len(accs))), "episodes": accs}
        state["points"].append(pt)
        rec["points"], rec["train_log"] = state["points"], state["log"]
        write_json(a.out, rec)
        save_checkpoint(ck_path, params, opt, sampler, state, run)
        saved = time.monotonic()
        print("EVAL tasks %d (iteration %d, %.1fs of training): %.2f%% +- %.2f on %d episodes" % (
            target, state["iterations"], state["train_seconds"], 100 * pt["mean_acc"], 100 * pt["ci95"], len(accs)),
            flush=True)
    rec["points"], rec["train_log"] = state["points"], state["log"]
    write_json(a.out, rec)


if __name__ == "__main__":
    main()

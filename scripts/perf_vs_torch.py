#!/usr/bin/python3
"""Side-by-side timing of `metabench perf` and the PyTorch peer (torch_bench.py).

Runs the two alternately for several rounds on the same machine (so that a
slow spell of a shared machine hits both), then prints, per workload, the
median over rounds of each side's per-round median, the ratio Go/PyTorch, and
the peak resident memory of each side. Needs Debian's python3-torch.

usage: scripts/perf_vs_torch.py --mb ./bin/metabench --peer ../shared/peer/torch_bench.py
                                [--rounds 3] [--reps 9] [--only a,b] [--json OUT]
The BASE search workloads against their own peer:
       scripts/perf_vs_torch.py --mb ./bin/metabench --peer ../shared/peer/torch_search_bench.py \
           --reps 3 --search-steps 1,2,4 \
           --only base_search_exact_t1,base_search_fd_t1,base_search_exact_t2,...
"""
import argparse
import json
import statistics
import subprocess
import sys

WORKLOADS = ["conv4_fwd_bwd", "maml2_task", "fomaml_task", "maml2_mini_task"]


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", required=True, help="metabench binary")
    ap.add_argument("--peer", required=True, help="path of torch_bench.py")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--json", help="also write the per-round results here")
    ap.add_argument("--search-steps", help="inner-step counts T of the search workloads (metabench --search-steps, peer --steps)")
    a = ap.parse_args()
    names = [n for n in a.only.split(",") if n]
    rounds = []
    for r in range(a.rounds):
        steps_go = ["--search-steps", a.search_steps] if a.search_steps else []
        steps_pt = ["--steps", a.search_steps] if a.search_steps else []
        go = run([a.mb, "perf", "--format", "json", "--reps", str(a.reps), "--only", ",".join(names)] + steps_go)
        pt = run(["/usr/bin/python3", a.peer, "--threads", "2", "--reps", str(a.reps), "--only", ",".join(names)] + steps_pt)
        rounds.append({"go": go, "torch": pt})
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(
            f"{n} {go[n]['median_ms']:.1f}/{pt[n]['median_ms']:.1f}" for n in names), file=sys.stderr)
    go0 = rounds[0]["go"]
    print(f"gemm path {go0.get('gemm_path')}, {go0.get('go')}, {go0.get('threads')} threads; torch {rounds[0]['torch'].get('torch')}")
    peak = max(rd["go"].get("peak_gflops", 0) for rd in rounds)
    print(f"measured peak {peak:.1f} GFLOP/s ({go0.get('peak_isa')} multiply-add loop); GFLOP/s below: the engine's matrix-product "
          "operations per repetition (the same arithmetic on both sides) over each side's median")
    print(f"{'workload':22} {'go ms':>9} {'torch ms':>9} {'go/torch':>9} {'go MB':>7} {'torch MB':>8} {'ratio':>6}"
          f" {'gflop':>7} {'go GF/s':>8} {'%peak':>6} {'pt GF/s':>8} {'%peak':>6}")
    summary = {}
    for n in names:
        g = statistics.median(rd["go"][n]["median_ms"] for rd in rounds)
        t = statistics.median(rd["torch"][n]["median_ms"] for rd in rounds)
        gr = max(rd["go"][n].get("peak_rss_mb", 0) for rd in rounds)
        tr = max(rd["torch"][n].get("peak_rss_mb", 0) for rd in rounds)
        fl = rounds[0]["go"][n].get("mat_flops", 0)
        gg, tg = fl / (g * 1e6), fl / (t * 1e6)
        summary[n] = {"go_ms": g, "torch_ms": t, "ratio": g / t, "go_rss_mb": gr, "torch_rss_mb": tr,
                      "mat_flops": fl, "go_gflops": gg, "torch_gflops": tg, "peak_gflops": peak}
        pk = (lambda x: 100 * x / peak if peak else 0)
        print(f"{n:22} {g:9.1f} {t:9.1f} {g / t:9.2f} {gr:7.0f} {tr:8.0f} {gr / tr if tr else 0:6.2f}"
              f" {fl / 1e9:7.3f} {gg:8.1f} {pk(gg):5.1f}% {tg:8.1f} {pk(tg):5.1f}%")
    gm = max(rd["go"].get("peak_rss_mb", 0) for rd in rounds)
    tm = max(rd["torch"].get("peak_rss_mb", 0) for rd in rounds)
    print(f"{'peak rss MB':18} {gm:9.0f} {tm:9.0f} {gm / tm if tm else 0:9.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rounds": rounds, "summary": summary, "peak_rss_mb": {"go": gm, "torch": tm}}, f, indent=1)


if __name__ == "__main__":
    main()

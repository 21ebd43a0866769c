#!/usr/bin/env bash
# MAML against a PyTorch reference at equal numbers of meta-training tasks
# (issue #37 item 3; docs/REPRODUCE.md has the long runs and how to read
# them).
#
#   scripts/maml_vs_torch.sh [-c CONFIG] [-o OUT] [-s "0 1"] [-t 10000,40000,80000]
#                            [-p PLOTDIR] [-j THREADS] [-m all|export|metabench|torch|compare]
#                            [-- --set key=value ...]
#
# 1. export: `metabench episodes --experiment CONFIG --set ... --out OUT/data.npz`:
#    metabench's training images and classes and its fixed test episodes.
# 2. metabench: per seed, `metabench train` to the first task count
#    (iterations = tasks / meta_batch), its record copied to
#    OUT/metabench/seedS/record-TASKS.json, then resumed with iterations
#    raised to the next count, and so on: a resumed run ends bit for bit
#    where an uninterrupted one does (experiment/staged_test.go) as long as
#    the meta learning rate is constant, so files that decay it are refused.
# 3. torch: per seed, scripts/maml_reference.py on OUT/data.npz, evaluated at
#    the same task counts (OUT/torch/seedS.json).
# 4. compare: `metabench vsref` prints per task count each side's per-seed
#    accuracies, means and intervals over seeds and the difference with its
#    interval over seeds (OUT/comparison.txt), and draws both curves against
#    tasks and against training wall clock into PLOTDIR (default OUT).
# Every step skips what is already done and resumes what was interrupted, so
# the command can be rerun after a stop (with the same flags: the export is
# rewritten by every mode but compare). The two sides run one after the
# other, never at the same time.
set -euo pipefail

config=benchmarks/omniglot-5w1s-maml.yaml
out=runs/maml-vs-torch
seeds="0 1"
tasks=10000,40000,80000
plots=""
threads=2
mode=all
metabench=${METABENCH:-bin/metabench}
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '5,8p' "$0" >&2; exit 2; }
while getopts "c:o:s:t:p:j:m:h" opt; do
	case $opt in
	c) config=$OPTARG ;;
	o) out=$OPTARG ;;
	s) seeds=$OPTARG ;;
	t) tasks=$OPTARG ;;
	p) plots=$OPTARG ;;
	j) threads=$OPTARG ;;
	m) mode=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
sets=("$@")
plots=${plots:-$out}
case $mode in all | export | metabench | torch | compare) ;; *) usage ;; esac
mkdir -p "$out"

# protocol KEY prints a field of the exported protocol.
protocol() {
	"$python" -c 'import json, sys, numpy as np
p = json.loads(bytes(np.load(sys.argv[1])["protocol"]).decode())
print(p[sys.argv[2]])' "$out/data.npz" "$1"
}

export_data() {
	"$metabench" episodes --experiment "$config" "${sets[@]}" --out "$out/data.npz"
}

# check_schedule refuses a decaying meta learning rate (see the header).
check_schedule() {
	local final schedule
	final=$(protocol meta_lr_final)
	schedule=$(protocol meta_lr_schedule)
	if [[ $final != 0 && $final != 0.0 ]] || [[ $schedule != linear && $schedule != "" ]]; then
		echo "maml_vs_torch: $config decays the meta learning rate (meta_lr_final $final, schedule $schedule):" \
			"staged metabench runs would differ from uninterrupted ones; use --set meta_lr_final=0" >&2
		exit 2
	fi
}

# run_metabench SEED trains one seed through every task count.
run_metabench() {
	local seed=$1 dir="$out/metabench/seed$1" mb t iters resume
	mb=$(protocol meta_batch)
	for t in ${tasks//,/ }; do
		if ((t % mb)); then
			echo "maml_vs_torch: $t tasks is not a multiple of meta_batch $mb" >&2
			exit 2
		fi
		[[ -f $dir/record-$t.json ]] && continue
		iters=$((t / mb))
		resume=()
		[[ -f $dir/checkpoint.gob ]] && resume=(--resume)
		echo "== metabench seed $seed: $t tasks ($iters iterations)"
		nice -n 10 "$metabench" train "$config" "${sets[@]}" --set seed="$seed" --set iterations="$iters" \
			--set budget=0 --set eval.val_episodes=0 --out "$dir" "${resume[@]}" --store "$out/results.db" --quiet
		cp "$dir/record.json" "$dir/record-$t.json"
	done
}

# run_torch SEED trains the reference for one seed through every task count.
run_torch() {
	local seed=$1 res="$out/torch/seed$1.json" resume=()
	mkdir -p "$out/torch"
	[[ -f $res.ckpt ]] && resume=(--resume)
	echo "== pytorch seed $seed: $tasks tasks"
	# one BLAS thread: Debian's PyTorch loads OpenBLAS, whose own threads
	# would compete with PyTorch's (docs/PERFORMANCE.md)
	OPENBLAS_NUM_THREADS=1 nice -n 10 "$python" "$here/maml_reference.py" --data "$out/data.npz" --seed "$seed" \
		--eval-at-tasks "$tasks" --threads "$threads" --out "$res" "${resume[@]}"
}

compare() {
	"$metabench" vsref --metabench "$out/metabench/seed*/record-*.json" --reference "$out/torch/seed*.json" \
		--plots "$plots" --name maml_vs_torch | tee "$out/comparison.txt"
	"$metabench" vsref --metabench "$out/metabench/seed*/record-*.json" --reference "$out/torch/seed*.json" \
		--format markdown >"$out/comparison.md"
}

[[ $mode != compare ]] && export_data
[[ $mode == export ]] && exit 0
check_schedule
if [[ $mode == all || $mode == metabench ]]; then
	for s in $seeds; do run_metabench "$s"; done
fi
if [[ $mode == all || $mode == torch ]]; then
	for s in $seeds; do run_torch "$s"; done
fi
if [[ $mode == all || $mode == compare ]]; then
	compare
fi

#!/usr/bin/env bash
# MAML against a PyTorch reference at equal numbers of meta-training tasks
# (issue #37 item 3; docs/REPRODUCE.md has the long runs, how they span
# sittings, and how to read them).
#
#   scripts/maml_vs_torch.sh [-c CONFIG] [-o OUT] [-s "0 1"] [-t 10000,40000,80000]
#                            [-p PLOTDIR] [-j THREADS] [-m all|export|metabench|torch|compare]
#                            [-d SECONDS | -u HH:MM] [-- --set key=value ...]
#
# 1. export: `metabench episodes --experiment CONFIG --set ... --out OUT/data.npz`:
#    metabench's training images and classes and its fixed test episodes.
#    It is rewritten by every mode but compare (a few seconds), and its
#    digest (SHA-256 of its members, as scripts/maml_reference.py computes
#    it) is kept in OUT/data.sha256: a later invocation whose export differs
#    (other CONFIG or --set values, another metabench) is refused (exit 2).
# 2. metabench: per seed, `metabench train` to the first task count
#    (iterations = tasks / meta_batch), its record copied to
#    OUT/metabench/seedS/record-TASKS.json, then resumed with iterations
#    raised to the next count, and so on: a resumed run ends bit for bit
#    where an uninterrupted one does (experiment/staged_test.go) as long as
#    the meta learning rate is constant, so files that decay it are refused.
# 3. torch: per seed, scripts/maml_reference.py on OUT/data.npz, evaluated at
#    the same task counts (OUT/torch/seedS.json, checkpoint seedS.json.ckpt).
# 4. compare: `metabench vsref` prints per task count each side's per-seed
#    accuracies, means and intervals over seeds and the difference with its
#    interval over seeds (PLOTDIR/comparison.txt and .md), and draws both
#    curves against tasks and against training wall clock into PLOTDIR
#    (default OUT).
# Every step skips what is already done and resumes what was interrupted, so
# the command can be rerun after a stop with the same flags. The two sides
# run one after the other, never at the same time.
#
# Sittings: -d SECONDS (from now) or -u HH:MM (the next such time of day)
# sets a deadline. At the deadline the running side gets SIGTERM: metabench
# and the reference finish the iteration under way, save their checkpoint
# and exit (metabench finishes a test evaluation under way, the reference
# redoes its on resume); no step starts in the last minute
# ($MAML_VS_TORCH_MARGIN seconds, for tests). Ctrl-C or SIGTERM to this
# script stops the side the same way. The script then exits (0 at the
# deadline, 130 on a signal) with a line saying where it stopped and what
# to commit. OUT then holds exactly
# the state that resumes the runs (checkpoints, per-count records, the
# reference's results and checkpoint, data.sha256); OUT/.gitignore, written
# when missing, keeps out what is regenerated (data.npz, the results store,
# temporary files), so committing OUT carries the runs to another machine:
# rerun the same command there and both sides continue exactly.
set -euo pipefail

config=benchmarks/omniglot-5w1s-maml.yaml
out=runs/maml-vs-torch
seeds="0 1"
tasks=10000,40000,80000
plots=""
threads=2
mode=all
deadline=0
margin=${MAML_VS_TORCH_MARGIN:-60}
metabench=${METABENCH:-bin/metabench}
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '6,8p' "$0" >&2; exit 2; }
while getopts "c:o:s:t:p:j:m:d:u:h" opt; do
	case $opt in
	c) config=$OPTARG ;;
	o) out=$OPTARG ;;
	s) seeds=$OPTARG ;;
	t) tasks=$OPTARG ;;
	p) plots=$OPTARG ;;
	j) threads=$OPTARG ;;
	m) mode=$OPTARG ;;
	d)
		[[ $OPTARG =~ ^[0-9]+$ ]] || usage
		deadline=$(($(date +%s) + OPTARG))
		;;
	u)
		[[ $OPTARG =~ ^[0-9]{1,2}:[0-9]{2}$ ]] && deadline=$(date -d "$OPTARG" +%s) || usage
		((deadline > $(date +%s))) || deadline=$((deadline + 86400))
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
sets=("$@")
plots=${plots:-$out}
case $mode in all | export | metabench | torch | compare) ;; *) usage ;; esac
mkdir -p "$out"
if [[ ! -f $out/.gitignore ]]; then
	cat >"$out/.gitignore" <<-'EOF'
		# written by scripts/maml_vs_torch.sh: what it regenerates stays out of git;
		# the rest of this folder is the state that resumes its runs in another sitting
		data.npz
		results.db*
		comparison.*
		maml_vs_torch_*
		metabench/seed*/record.json
		*.tmp
		.*.tmp-*
	EOF
fi

# protocol KEY prints a field of the exported protocol.
protocol() {
	"$python" -c 'import json, sys, numpy as np
p = json.loads(bytes(np.load(sys.argv[1])["protocol"]).decode())
print(p[sys.argv[2]])' "$out/data.npz" "$1"
}

# export_data writes OUT/data.npz and checks it is the export the runs in
# OUT began on (OUT/data.sha256, written by the first invocation).
export_data() {
	local digest want
	nice -n 10 "$metabench" episodes --experiment "$config" "${sets[@]}" --out "$out/data.npz"
	# the digest of scripts/maml_reference.py (archive_digest): members'
	# names and uncompressed bytes, whatever the compression
	digest=$("$python" -c 'import hashlib, sys, zipfile
h = hashlib.sha256()
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sorted(z.namelist()):
        b = z.read(name)
        h.update(b"%s\0%d\0" % (name.encode(), len(b)))
        h.update(b)
print(h.hexdigest())' "$out/data.npz")
	if [[ -f $out/data.sha256 ]]; then
		want=$(<"$out/data.sha256")
		if [[ $digest != "$want" ]]; then
			echo "maml_vs_torch: the export (digest $digest) is not the one the runs in $out began on" \
				"($want, $out/data.sha256): other -c or --set values, or a metabench that exports differently;" \
				"rerun with the first sitting's flags, or use another -o" >&2
			exit 2
		fi
	else
		echo "$digest" >"$out/data.sha256"
	fi
}

# step CMD... runs CMD at nice 10 in the background until it ends, stopped
# by SIGTERM at the deadline (timeout) or when this script gets Ctrl-C or
# SIGTERM (on_signal); it returns CMD's status (124: the deadline came).
child=""
signalled=0
on_signal() {
	signalled=1
	[[ -z $child ]] || kill -TERM "$child" 2>/dev/null || true
}
trap on_signal INT TERM
step() {
	local left=0 rc=0
	if ((deadline)); then
		left=$((deadline - $(date +%s)))
		((left > 0)) || return 124
	fi
	timeout -s TERM "$left" nice -n 10 "$@" &
	child=$!
	while kill -0 "$child" 2>/dev/null; do
		wait "$child" || true
	done
	wait "$child" || rc=$?
	child=""
	return "$rc"
}

# stop_if_due WHAT exits when the deadline is less than margin away or a
# signal came: with 0 at the deadline, 130 on a signal, after saying that
# it stopped in WHAT and what to commit.
stop_if_due() {
	local code
	if ((signalled)); then
		code=130
		echo "maml_vs_torch: stopped by a signal in $1."
	elif ((deadline && $(date +%s) + margin >= deadline)); then
		code=0
		echo "maml_vs_torch: stopped at the deadline ($(date -d "@$deadline" +%H:%M)) in $1."
	else
		return 0
	fi
	echo "maml_vs_torch: $out holds the state that resumes it; commit it, then rerun the same command in the next sitting:"
	echo "  git add -- $out && git commit -m 'maml-vs-torch: state of $(date +%F\ %H:%M)' -- $out"
	exit "$code"
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

# iterations_of RECORD prints the iterations of a metabench record (none: 0).
iterations_of() {
	[[ -f $1 ]] || { echo 0; return; }
	"$python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("iterations", 0))' "$1"
}

# run_metabench SEED trains one seed through every task count.
run_metabench() {
	local seed=$1 dir="$out/metabench/seed$1" mb t iters resume rc
	mb=$(protocol meta_batch)
	for t in ${tasks//,/ }; do
		if ((t % mb)); then
			echo "maml_vs_torch: $t tasks is not a multiple of meta_batch $mb" >&2
			exit 2
		fi
		[[ -f $dir/record-$t.json ]] && continue
		iters=$((t / mb))
		stop_if_due "metabench seed $seed before $t tasks ($iters iterations)"
		resume=()
		[[ -f $dir/checkpoint.gob ]] && resume=(--resume)
		echo "== metabench seed $seed: $t tasks ($iters iterations)"
		rc=0
		step "$metabench" train "$config" "${sets[@]}" --set seed="$seed" --set iterations="$iters" \
			--set budget=0 --set eval.val_episodes=0 --out "$dir" "${resume[@]}" --store "$out/results.db" --quiet || rc=$?
		# done when record.json is this count's, even if the deadline came
		# during the test evaluation (metabench finishes it)
		if [[ $(iterations_of "$dir/record.json") == "$iters" ]]; then
			cp "$dir/record.json" "$dir/record-$t.json"
			continue
		fi
		stop_if_due "metabench seed $seed on its way to $t tasks ($iters iterations; the line above gives the iteration reached)"
		echo "maml_vs_torch: metabench seed $seed failed (exit $rc)" >&2
		exit 1
	done
}

# run_torch SEED trains the reference for one seed through every task count.
run_torch() {
	local seed=$1 res="$out/torch/seed$1.json" resume=() rc=0
	mkdir -p "$out/torch"
	stop_if_due "pytorch seed $seed before it started this sitting"
	[[ -f $res.ckpt ]] && resume=(--resume)
	echo "== pytorch seed $seed: $tasks tasks"
	# one BLAS thread: Debian's PyTorch loads OpenBLAS, whose own threads
	# would compete with PyTorch's (docs/PERFORMANCE.md)
	OPENBLAS_NUM_THREADS=1 step "$python" "$here/maml_reference.py" --data "$out/data.npz" --seed "$seed" \
		--eval-at-tasks "$tasks" --threads "$threads" --out "$res" "${resume[@]}" || rc=$?
	((rc == 0)) && return
	stop_if_due "pytorch seed $seed (the line above gives the iteration reached)"
	echo "maml_vs_torch: pytorch seed $seed failed (exit $rc)" >&2
	exit 1
}

compare() {
	mkdir -p "$plots"
	"$metabench" vsref --metabench "$out/metabench/seed*/record-*.json" --reference "$out/torch/seed*.json" \
		--plots "$plots" --name maml_vs_torch | tee "$plots/comparison.txt"
	"$metabench" vsref --metabench "$out/metabench/seed*/record-*.json" --reference "$out/torch/seed*.json" \
		--format markdown >"$plots/comparison.md"
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
if [[ $mode != export && $mode != compare ]]; then
	echo "maml_vs_torch: $mode done for seeds $seeds at $tasks tasks; commit the state in $out:"
	echo "  git add -- $out && git commit -m 'maml-vs-torch: state of $(date +%F\ %H:%M)' -- $out"
fi

#!/bin/bash
# run.sh — kiln's benchmark: kiln against ONNX Runtime (CPU) on the same
# machine in one run (latency at 1 and 2 threads, ResNet-18 GFLOP/s against the
# measured FMA peak, cold start and peak memory, MC-dropout, compile time).
# Prints a markdown report and writes it to BUILD/bench-results.md.
# usage: bench/run.sh [--quick]      (--quick: fewer timed runs)
# Environment: KILN (default BUILD/tools/kiln, built if missing), KILN_BUILD
# (default ROOT/build), KILN_BENCH_TIMEOUT (seconds per kiln compile, default
# 1200), XDG_CACHE_HOME (ONNX Runtime goes in .../kiln-bench/ort).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KILN_BUILD:-$ROOT/build}
KILN=${KILN:-$BUILD/tools/kiln}
MD=$BUILD/bench-models
WORK=$BUILD/bench-work
OUT=$BUILD/bench-results.md
PY=/usr/bin/python3
ORT_VERSION=1.30.0
ORT_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/kiln-bench/ort
export ORT_NODE=$ORT_DIR/node_modules/onnxruntime-node
MC_T=100
COMPILE_TIMEOUT=${KILN_BENCH_TIMEOUT:-1200}

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac
if [ $QUICK = 1 ]; then RUNS_BIG=5 RUNS_SMALL=50 RUNS_MC=3 RUNS_ORT_MC=1 RUNS_COLD=1 ROUNDS=1
else RUNS_BIG=120 RUNS_SMALL=1000 RUNS_MC=10 RUNS_ORT_MC=3 RUNS_COLD=3 ROUNDS=20; fi

# problem MSG: recorded in a file, since callers often run in $(...) subshells.
problem() { echo "- $*" >>"$WORK/problems"; echo "bench: $*" >&2; }
note() { echo "bench: $*" >&2; }
# jget KEY JSON: a number or true/false field of a one-line JSON object.
jget() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([-0-9.eE+a-z]*\).*/\1/p"; }
# ratio A B: A/B with 2 decimals, or "-" when either is not a number.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else printf "-" }'; }
# fmt_ms X: 3 significant digits at least (0.1114 -> 0.111, 212.1581 -> 212.2).
fmt_ms() { awk -v x="$1" 'BEGIN { if (x == "" || x+0 != x) printf "-"; else if (x < 1) printf "%.3g", x; else if (x < 100) printf "%.2f", x; else printf "%.1f", x }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- setup: kiln, models, ONNX Runtime, FMA peak ----------------------------
setup_kiln() {
	[ -x "$KILN" ] && return 0
	note "building kiln in $BUILD"
	cmake -S "$ROOT" -B "$BUILD" -G "Unix Makefiles" >/dev/null &&
		make -C "$BUILD" kiln -j"$(nproc)" >/dev/null || { echo "bench: cannot build kiln" >&2; exit 1; }
}

setup_models() {
	local stamp=$MD/.generated
	mkdir -p "$MD" "$WORK" || exit 1
	if [ ! -f "$stamp" ] || [ "$ROOT/bench/gen_models.py" -nt "$stamp" ]; then
		note "generating models into $MD"
		"$PY" "$ROOT/bench/gen_models.py" "$MD" >"$MD/gen.log" 2>&1 ||
			{ cat "$MD/gen.log" >&2; echo "bench: model generation failed" >&2; exit 1; }
		touch "$stamp"
	fi
}

setup_ort() {
	[ -f "$ORT_NODE/package.json" ] && return 0
	note "installing onnxruntime-node@$ORT_VERSION into $ORT_DIR"
	mkdir -p "$ORT_DIR" && (cd "$ORT_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
		npm install --ignore-scripts "onnxruntime-node@$ORT_VERSION" >"$ORT_DIR/install.log" 2>&1) ||
		problem "npm install onnxruntime-node@$ORT_VERSION failed (see $ORT_DIR/install.log); ORT columns empty"
}

# ---- measurements ---------------------------------------------------------
# compile NAME ONNX SO [extra flags]: kiln compile; sets CT (seconds) or "-".
compile() {
	local name=$1 onnx=$2 so=$3 t0
	shift 3
	t0=$(now)
	if timeout "$COMPILE_TIMEOUT" "$KILN" compile "$onnx" -o "$so" "$@" 2>"$WORK/err"; then
		CT=$(elapsed "$t0" "$(now)")
	elif [ $? = 124 ]; then
		CT="-"
		rm -f "$so"
		problem "\`kiln compile $name $*\` did not finish in $COMPILE_TIMEOUT s (KILN_BENCH_TIMEOUT)"
	else
		CT="-"
		problem "\`kiln compile $name $*\` failed: $(tail -n 3 "$WORK/err" | tr '\n' ' ')"
	fi
}

# kiln_ms NAME SO THREADS RUNS BATCH: prints kiln bench's median_ms or "-".
kiln_ms() {
	local j
	[ -f "$2" ] || { echo "-"; return; }
	if j=$("$KILN" bench "$2" --threads="$3" --runs="$4" --batch="$5" 2>"$WORK/err"); then
		fmt_ms "$(jget median_ms "$j")"
	else
		echo "-"
		problem "\`kiln bench $1 --threads=$3 --batch=$5\` failed: $(tail -n 3 "$WORK/err" | tr '\n' ' ')"
	fi
}

# ort_ms NAME ONNX THREADS RUNS BATCH: prints ORT's median_ms or "-".
ort_ms() {
	local j
	if j=$(node "$ROOT/bench/ort_bench.js" "$2" "$3" "$4" "$5" 2>"$WORK/err"); then
		fmt_ms "$(jget median_ms "$j")"
	else
		echo "-"
		problem "ORT on $1 (threads $3) failed: $(tail -n 1 "$WORK/err")"
	fi
}

# paired_ratio "A..." "B...": median_of the ratios A_i / B_i (2 decimals),
# "-" if any is "-".
paired_ratio() {
	case " $1 $2 " in *" - "*) echo "-"; return ;; esac
	ratio "$(median_of $(awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "%.6f ", x[i] / y[i] }'))" 1
}

# median_of X...: the median of the numbers given, "-" if any is "-".
median_of() {
	case " $* " in *" - "*) echo "-"; return ;; esac
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

machine() {
	local cpu isa
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	if grep -qw avx512f /proc/cpuinfo; then isa="AVX-512: yes"; else isa="AVX-512: no (AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no))"; fi
	echo "# kiln benchmark"
	echo
	echo "- machine: $cpu, $(nproc) cores, $isa; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- $("$KILN" --version 2>/dev/null | head -n 1) ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')); ONNX Runtime (onnxruntime-node) $ORT_VERSION, node $(node --version 2>/dev/null)"
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); timed runs per figure: $RUNS_BIG (seed network $RUNS_SMALL)$([ $QUICK = 1 ] && echo ', --quick') in $ROUNDS round(s), kiln and ONNX Runtime alternating (kiln first in odd rounds, ONNX Runtime in even ones); latency = median of the rounds' medians, one warm-up per round; ORT/kiln by round = the median of the rounds' ratios (ONNX Runtime's median over kiln's in the same round)"
	echo
}

# Model table: name|onnx file|batch|runs
MODELS="seed network (batch 64)|$ROOT/models/seednet_eval.onnx|64|SMALL
ResNet-18|$MD/resnet18.onnx|1|BIG
MobileNetV2|$MD/mobilenet_v2.onnx|1|BIG
SqueezeNet 1.1|$MD/squeezenet1_1.onnx|1|BIG
transformer encoder (4 layers, seq 128)|$MD/transformer_enc4.onnx|1|BIG"

latency() {
	local label onnx batch size runs so k o ctimes=""
	echo "## Latency (median ms; ratio > 1: kiln is faster)"
	echo
	echo "| model | threads | kiln ms | ORT ms | ORT/kiln | ORT/kiln by round |"
	echo "|---|---:|---:|---:|---:|---:|"
	while IFS='|' read -r label onnx batch size; do
		[ "$size" = SMALL ] && runs=$RUNS_SMALL || runs=$RUNS_BIG
		so=$WORK/$(basename "$onnx" .onnx).so
		rm -f "$so"
		compile "$label" "$onnx" "$so"
		ctimes="$ctimes| $label | $CT |
"
		for t in 1 2; do
			# short rounds alternating the two, so a change in the
			# shared machine's load falls on both sides alike, and
			# each going first in every other round (the first of a
			# pair ran up to 10% slower or faster than the second);
			# 20 rounds of 6 runs: with 10, this machine's slow and
			# fast spells (seconds long, 30% apart) moved a ratio's
			# median by up to 0.15 between runs minutes apart
			local ks="" os="" r
			for r in $(seq $ROUNDS); do
				if [ $((r % 2)) = 1 ]; then
					ks="$ks $(kiln_ms "$label" "$so" $t $((runs / ROUNDS)) "$batch")"
					os="$os $(ort_ms "$label" "$onnx" $t $((runs / ROUNDS)) "$batch")"
				else
					os="$os $(ort_ms "$label" "$onnx" $t $((runs / ROUNDS)) "$batch")"
					ks="$ks $(kiln_ms "$label" "$so" $t $((runs / ROUNDS)) "$batch")"
				fi
			done
			k=$(median_of $ks)
			o=$(median_of $os)
			[ "$label" = ResNet-18 ] && [ "$t" = 1 ] && RESNET_MS1=$k
			echo "| $label | $t | $k | $o | $(ratio "$o" "$k") | $(paired_ratio "$os" "$ks") |"
		done
	done <<EOF
$MODELS
EOF
	echo
	echo "## kiln compile time (s, \`kiln compile MODEL.onnx -o MODEL.so\`)"
	echo
	echo "| model | compile s |"
	echo "|---|---:|"
	printf '%s' "$ctimes"
	echo
}

gflops() {
	local flops ms peak isa g from
	cc -O2 "$ROOT/bench/fma_peak.c" -o "$WORK/fma_peak" 2>"$WORK/err" ||
		problem "cannot compile bench/fma_peak.c: $(tail -n 1 "$WORK/err")"
	read -r isa peak < <("$WORK/fma_peak" 2>/dev/null || echo "? -")
	flops=$("$PY" "$ROOT/bench/flops.py" "$MD/resnet18.onnx" 1 2>"$WORK/err") ||
		{ flops="-"; problem "flops.py failed: $(tail -n 1 "$WORK/err")"; }
	# the latency table's 1-thread median (its rounds alternate with ONNX
	# Runtime's, so a slow spell of this shared machine does not fall on one
	# separate measurement alone); measured here if that table has none
	from="ResNet-18's 1-thread median in the latency table above"
	ms=${RESNET_MS1:--}
	if [ "$ms" = - ]; then
		ms=$(kiln_ms ResNet-18 "$WORK/resnet18.so" 1 $RUNS_BIG 1)
		from="the median of $RUNS_BIG runs of its own"
	fi
	g=$(awk -v f="$flops" -v m="$ms" 'BEGIN { if (f+0 > 0 && m+0 > 0) printf "%.1f", f/m/1e6; else printf "-" }')
	echo "## ResNet-18 arithmetic rate, 1 thread"
	echo
	echo "FLOPs = 2 x multiply-accumulates of Conv and Gemm/MatMul (ONNX shape inference, batch 1);"
	echo "peak = single-core FP32 FMA throughput measured by \`bench/fma_peak.c\` ($isa loop, best of 5, CPU time);"
	echo "kiln ms = $from."
	echo "kiln runs all of ResNet-18's 3x3 stride-1 convolutions by Winograd (\`kk_wino_tile\`), F(4x4, 3x3) at 56x56,"
	echo "28x28 and 14x14 and F(2x2, 3x3) at 7x7: 2.25 or 4 multiply-adds per output and channel pair where these"
	echo "FLOPs count 9, so its rate is effective (FLOPs of the direct convolution per second), above what its"
	echo "FMA units execute."
	echo
	echo "| GFLOP per inference | kiln ms | kiln GFLOP/s | FMA peak GFLOP/s ($isa) | % of peak |"
	echo "|---:|---:|---:|---:|---:|"
	echo "| $(awk -v f="$flops" 'BEGIN { if (f+0 > 0) printf "%.3f", f/1e9; else printf "-" }') | $ms | $g | $peak | $(awk -v g="$g" -v p="$peak" 'BEGIN { if (g+0 > 0 && p+0 > 0) printf "%.0f%%", 100*g/p; else printf "-" }') |"
	echo
}

# timev LABEL CMD...: runs CMD under /usr/bin/time -v RUNS_COLD times; sets
# TV_S (median elapsed s) and TV_MB (max RSS MB of that run) or "-".
timev() {
	local label=$1 i e r lst=""
	shift
	"$@" >/dev/null 2>&1	# warm the page cache: measure process start, not the disk
	for i in $(seq "$RUNS_COLD"); do
		if ! /usr/bin/time -v -o "$WORK/timev" "$@" >/dev/null 2>"$WORK/err"; then
			problem "$label failed: $(tail -n 1 "$WORK/err")"; TV_S="-"; TV_MB="-"; return
		fi
		e=$(sed -n 's/.*Elapsed (wall clock).*: //p' "$WORK/timev" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/timev")
		lst="$lst$e $r
"
	done
	read -r TV_S r < <(printf '%s' "$lst" | sort -n | sed -n "$(( (RUNS_COLD + 1) / 2 ))p")
	TV_MB=$(awk -v k="$r" 'BEGIN { printf "%.0f", k/1024 }')
}

coldstart() {
	local ks km os om
	mkdir -p "$WORK/cold-kiln" "$WORK/cold-ort"
	timev "kiln run resnet18.so" "$KILN" run "$WORK/resnet18.so" -i "$MD/resnet18.in.npy" -o "$WORK/cold-kiln"
	ks=$TV_S km=$TV_MB
	timev "node ort_once.js resnet18" node "$ROOT/bench/ort_once.js" "$MD/resnet18.onnx" "$MD/resnet18.in.npy" "$WORK/cold-ort"
	os=$TV_S om=$TV_MB
	echo "## Cold start and peak memory, ResNet-18 batch 1, 1 thread"
	echo
	echo "Process start to output file written, \`/usr/bin/time -v\`, median of $RUNS_COLD after one warm-up:"
	echo "\`kiln run resnet18.so -i resnet18.in.npy\` against \`node bench/ort_once.js\` (create session, run once, write .npy)."
	echo
	echo "| runtime | elapsed s | max RSS MB |"
	echo "|---|---:|---:|"
	echo "| kiln (compiled .so) | $ks | $km |"
	echo "| ONNX Runtime (node) | $os | $om |"
	echo "| ratio ORT/kiln | $(ratio "$os" "$ks") | $(ratio "$om" "$km") |"
	echo
}

# mc_row LABEL TRAIN_ONNX INPUT: one MC-dropout table row.
mc_row() {
	local label=$1 onnx=$2 input=$3 so k j o differ var
	so=$WORK/$(basename "$onnx" .onnx).mc$MC_T.so
	rm -f "$so"
	compile "$label MC" "$onnx" "$so" --mc-dropout=$MC_T
	k=$(kiln_ms "$label MC" "$so" 1 $RUNS_MC 1)
	var="-"
	if [ -f "$so" ] && "$KILN" run "$so" -i "$input" -o "$WORK/mc-out" >/dev/null 2>"$WORK/err"; then
		var=$("$PY" -c 'import sys, numpy as np; print("yes" if float(np.load(sys.argv[1]).max()) > 0 else "no")' \
			"$WORK/mc-out/output_1.npy" 2>/dev/null || echo "?")
	elif [ -f "$so" ]; then
		problem "\`kiln run\` on the MC build of $label failed: $(tail -n 1 "$WORK/err")"
	fi
	if j=$(node "$ROOT/bench/ort_mc.js" "$onnx" "$input" $MC_T disabled $RUNS_ORT_MC 2>"$WORK/err"); then
		o=$(fmt_ms "$(jget ms "$j")"); differ=$(jget samples_differ "$j")
	else
		o="-"; differ="-"; problem "ort_mc.js on $label failed: $(tail -n 1 "$WORK/err")"
	fi
	echo "| $label | $CT | $k | $var | $o | $differ | $(ratio "$o" "$k") |"
}

mc() {
	echo "## MC-dropout, T = $MC_T samples, 1 thread"
	echo
	echo "kiln: \`kiln compile MODEL_train.onnx --mc-dropout=$MC_T\` (one call gives mean and variance; median of $RUNS_MC \`kiln bench\` runs)."
	echo "ORT: the training export run $MC_T times with graph optimisation disabled (\`bench/ort_mc.js\`, median of $RUNS_ORT_MC passes of $MC_T runs; with 'all' the Dropouts are removed and the samples are identical)."
	echo
	echo "| model | kiln MC compile s | kiln ms (T=$MC_T) | kiln variance > 0 | ORT ms ($MC_T runs) | ORT samples differ | ORT/kiln |"
	echo "|---|---:|---:|---|---:|---|---:|"
	mc_row "seed network (batch 1)" "$ROOT/models/seednet_train.onnx" "$ROOT/models/seednet_eval.b1.in.npy"
	mc_row "transformer encoder" "$MD/transformer_enc4_train.onnx" "$MD/transformer_enc4.in.npy"
	echo
}

main() {
	setup_kiln
	setup_models
	rm -f "$WORK/problems"
	setup_ort
	{
		machine
		latency
		gflops
		coldstart
		mc
		if [ -s "$WORK/problems" ]; then
			echo "## Problems"
			echo
			cat "$WORK/problems"
		fi
	} >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	cat "$OUT"
}

main

#!/usr/bin/env bash
# learn.sh - learning from labelled cases, always scored on data the model
# or the tuning did not see: for each pair (trained on -> tested on)
#   amlsim-1K            -> amlsim-10K
#   amlsim-10K, earlier half -> its later half (bench/split_time.py)
#   synth --profile wide -> amlsim-10K (across generators)
#   synth, seed 1        -> synth, seed 2
#   amlsim-10K           -> amlsim-typologies (another parameter set, with
#                           scatter-gather and gather-scatter: types 10K lacks)
#   amlsim-10K           -> synth --profile wide (across generators, the other
#                           way)
# four ways of flagging the test data: `scan --model` with a model from
# `learn` on the training data (where the model does not fit the test data,
# scan prints the detectors' alerts: "model/misfit"), the same with
# `--misfit model` (the model's alerts all the same: "model!"), `scan
# --rules` with parameters from `tune` on it, and the default scan (nothing
# learnt: the reference). One table of
# instance-level precision, recall and F1 per pattern (fundtrace-eval(1)).
#
# Then time and peak memory of `features` and `learn` on BIG_ROWS rows of
# synth, against a default scan of the same snapshot (best of three for
# features and scan, one run of learn).
#
#   bench/learn.sh [SYNTH_ROWS] [WORKDIR] [BIG_ROWS]     (300000, bench/out, 10000000)
#
# BIG_ROWS 0 skips the scale part; PAIRS=0 skips the pairs. FT=PROGRAM runs
# another build of fundtrace (a copy, so that rebuilding does not change the
# program under a long run). AMLSIM=DIR points at the AMLSim sets
# (../shared/data/amlsim by default); TUNE_PASSES (2) bounds tune;
# LEARN_OPTS adds options to learn (LEARN_OPTS="--variants 0": without
# the labelled cases' variants).
set -euo pipefail

rows=${1:-300000}
big=${3:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
ft=${FT:-$ft}
command -v python3 >/dev/null || { echo "learn.sh: needs python3" >&2; exit 2; }
amlsim=${AMLSIM:-$top/../shared/data/amlsim}
passes=${TUNE_PASSES:-2}
for d in 1K 10K typologies; do
    [ -s "$amlsim/$d/transactions.csv.gz" ] || { echo "learn.sh: no AMLSim $d in $amlsim" >&2; exit 2; }
done

# --- the data sets: NAME|SNAPSHOT|TRUTH ------------------------------------------------
declare -A snap truth
for d in 1K 10K typologies; do
    snap[amlsim-$d]=$work/amlsim-$d.ftg
    truth[amlsim-$d]=$amlsim/$d/alert_transactions.csv
    [ -s "${snap[amlsim-$d]}" ] || "$ft" load -q "$amlsim/$d/transactions.csv.gz" -o "${snap[amlsim-$d]}" >/dev/null
done
if [ ! -s "$work/amlsim-10K-late.ftg" ]; then
    python3 "$here/split_time.py" "$amlsim/10K/transactions.csv.gz" "$amlsim/10K/alert_transactions.csv" \
        "$work/amlsim-10K-early.csv" "$work/amlsim-10K-early_truth.csv" \
        "$work/amlsim-10K-late.csv" "$work/amlsim-10K-late_truth.csv"
    for h in early late; do
        "$ft" load -q "$work/amlsim-10K-$h.csv" -o "$work/amlsim-10K-$h.ftg" >/dev/null
    done
fi
for h in early late; do
    snap[amlsim-10K-$h]=$work/amlsim-10K-$h.ftg
    truth[amlsim-10K-$h]=$work/amlsim-10K-${h}_truth.csv
done
for s in "default 1" "default 2" "wide 3"; do
    set -- $s
    name=synth-$1-$2
    csv=$work/learn-$name-$rows.csv
    if [ ! -s "${csv%.csv}.ftg" ]; then
        echo "making $rows rows of synth data, $1 profile, seed $2..." >&2
        "$ft" synth -q --rows "$rows" --seed "$2" --profile "$1" -o "$csv"
        "$ft" load -q "$csv" -o "${csv%.csv}.ftg" >/dev/null
    fi
    snap[$name]=${csv%.csv}.ftg
    truth[$name]=${csv%.csv}_truth.csv
done

# --- train, flag, score -------------------------------------------------------------------
pairs=("amlsim-1K amlsim-10K" "amlsim-10K-early amlsim-10K-late" "synth-wide-3 amlsim-10K"
       "synth-default-1 synth-default-2" "amlsim-10K amlsim-typologies"
       "amlsim-10K synth-wide-3")
[ "${PAIRS:-1}" = 0 ] && pairs=()
: >"$work/learn.rows"
for p in ${pairs[@]+"${pairs[@]}"}; do
    set -- $p
    train=$1 test=$2
    model=$work/$train.ftm rules=$work/$train.tuned.ini
    echo "learning on $train..." >&2
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2086 # LEARN_OPTS is a list of options
    "$ft" learn -q --threads 2 ${LEARN_OPTS:-} --truth "${truth[$train]}" -o "$model" \
        "${snap[$train]}" >"$work/$train.learn.out"
    t1=$EPOCHREALTIME
    echo "tuning on $train..." >&2
    "$ft" tune -q --threads 2 --passes "$passes" --truth "${truth[$train]}" -o "$rules" \
        "${snap[$train]}"
    t2=$EPOCHREALTIME
    for how in model model! tune default; do
        case $how in
        model) opt=(--model "$model") ;;
        model!) opt=(--model "$model" --misfit model) ;;
        tune) opt=(--rules "$rules") ;;
        default) opt=() ;;
        esac
        out=$work/$train-to-$test.$how
        # scan exits 1 when it flags nothing (as grep): no failure here
        "$ft" scan -q --threads 2 "${opt[@]}" --format jsonl "${snap[$test]}" >"$out.jsonl" \
            2>"$out.err" || [ $? -eq 1 ]
        # a model that does not fit the data: scan printed the detectors' alerts (model) or
        # the model's all the same (model!)
        grep -q "does not fit this data" "$out.err" && how=$how/misfit
        "$ft" eval --alerts "$out.jsonl" --truth "${truth[$test]}" --format json >"$out.eval.json"
        echo "$train $test $how $out.eval.json" >>"$work/learn.rows"
    done
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$train" \
        'BEGIN { printf "  %s: learn %.1f s, tune %.1f s\n", n, b - a, c - b }' >&2
done

[ -s "$work/learn.rows" ] && python3 - "$work/learn.rows" <<'PY'
import json, sys
print("%-17s %-17s %-14s %-15s %9s %6s %7s %6s %9s %7s %6s" % ("trained on", "tested on", "flagged",
      "pattern", "instances", "found", "alerts", "good", "precision", "recall", "f1"))
def num(v):
    return "%.3f" % v if v is not None else "-"
last = None
for line in open(sys.argv[1]):
    train, test, how, path = line.split()
    if last and (train, test) != last:
        print()
    last = (train, test)
    e = json.load(open(path))
    e = e.get("results", e)  # the record of the run wraps the results
    for r in e["patterns"] + [dict(e["overall"], pattern="overall")]:
        if not r["instances"] and not r["alerts"]:
            continue
        print("%-17s %-17s %-14s %-15s %9d %6d %7d %6d %9s %7s %6s" % (train, test, how,
              r["pattern"], r["instances"], r["found"], r["alerts"], r["true_alerts"],
              num(r["precision"]), num(r["recall"]), num(r["f1"])))
PY

# --- scale: features and learn at BIG_ROWS -------------------------------------------------
[ "$big" -gt 0 ] || exit 0
csv=$work/learn-big-$big.csv
if [ ! -s "${csv%.csv}.ftg" ]; then
    echo "making $big rows of synth data..." >&2
    "$ft" synth -q --rows "$big" --seed 7 -o "$csv"
    "$ft" load -q "$csv" -o "${csv%.csv}.ftg" >/dev/null
    rm -f "$csv"
fi
bigsnap=${csv%.csv}.ftg bigtruth=${csv%.csv}_truth.csv
echo
echo "at $big rows (2 threads):"
run "fundtrace scan" bash -c '"$0" scan "$@" >/dev/null || [ $? -eq 1 ]' "$ft" -q --threads 2 "$bigsnap"
scan_s=$secs scan_kib=$kib
run "fundtrace features" "$ft" features -q --threads 2 --format matrix -o "$work/big.mat" "$bigsnap"
feat_s=$secs feat_kib=$kib
rm -f "$work/big.mat"
t0=$EPOCHREALTIME
/usr/bin/time -f '%M' -o "$work/time.out" "$ft" learn -q --threads 2 --truth "$bigtruth" \
    -o "$work/big.ftm" "$bigsnap" >"$work/big.learn.out"
t1=$EPOCHREALTIME
read -r learn_kib <"$work/time.out"
awk -v s="$scan_s" -v sk="$scan_kib" -v f="$feat_s" -v fk="$feat_kib" -v a="$t0" -v b="$t1" \
    -v lk="$learn_kib" 'BEGIN {
    printf "%-34s %9s %10s\n", "", "seconds", "peak MB"
    printf "%-34s %9.1f %10.0f\n", "scan (default)", s, sk / 1024
    printf "%-34s %9.1f %10.0f   %.2fx the scan\n", "features (float32 matrix written)", f, fk / 1024, f / s
    printf "%-34s %9.1f %10.0f\n", "learn (features, training, model)", b - a, lk / 1024
}'
sed -n '1,3p' "$work/big.learn.out"

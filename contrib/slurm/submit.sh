#!/bin/sh
# submit.sh - run a fundtrace command in N parts on a Slurm cluster and
# join them.
#
#   contrib/slurm/submit.sh N OUTDIR SNAPSHOT RESULT COMMAND [ARGS...]
#
# e.g. contrib/slurm/submit.sh 16 /shared/run1 /shared/bank.ftg \
#          /shared/run1/traces.jsonl trace --seeds /shared/seeds.txt --format jsonl
#
# Submits a job array of N tasks (shard.sbatch, one part each, all mapping
# SNAPSHOT, which must be on storage every node sees) and a merge job
# (merge.sbatch) that runs when every task succeeded. Prints the merge
# job's id. FUNDTRACE names the program (default: fundtrace on PATH);
# SBATCH_ARGS adds options to both submissions (partition, account, time).
set -eu
if [ $# -lt 5 ]; then
    sed -n '3,16p' "$0" >&2
    exit 2
fi
n=$1 out=$2 snap=$3 result=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export FUNDTRACE="${FUNDTRACE:-fundtrace}"
# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
array=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --array="1-$n" \
    "$here/shard.sbatch" "$out" "$snap" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --dependency="afterok:$array" \
    "$here/merge.sbatch" "$out" "$result"

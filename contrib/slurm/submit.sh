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
# job's id. A scan first makes the data's profile once (profile.sbatch,
# scan --profile-out) and the array, which depends on that job, reads it
# (--profile) instead of making it in every task; SHARED_PROFILE=0 leaves
# that step out. FUNDTRACE names the program (default: fundtrace on PATH);
# SBATCH_ARGS adds options to every submission (partition, account, time).
set -eu
if [ $# -lt 5 ]; then
    sed -n '3,19p' "$0" >&2
    exit 2
fi
n=$1 out=$2 snap=$3 result=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export FUNDTRACE="${FUNDTRACE:-fundtrace}"
after=
if [ "$1" = scan ] && [ "${SHARED_PROFILE:-1}" != 0 ]; then
    # shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
    prof=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} "$here/profile.sbatch" "$out" "$snap" "$@")
    after=--dependency=afterok:${prof%%;*}
    set -- "$@" --profile "$out/profile"
fi
# shellcheck disable=SC2086
array=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} $after --array="1-$n" \
    "$here/shard.sbatch" "$out" "$snap" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --dependency="afterok:$array" \
    "$here/merge.sbatch" "$out" "$result"

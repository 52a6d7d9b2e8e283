#!/bin/sh
# run_golden.sh FUNDTRACE CASE_DIR DATA_DIR WORK_DIR
# Runs CASE_DIR/cmd (a shell snippet; $FT is the binary, $DATA the test
# data directory, the working directory is an empty WORK_DIR) and compares
# its stdout, stderr and exit status byte for byte with CASE_DIR/stdout,
# CASE_DIR/stderr and CASE_DIR/exit. With UPDATE_GOLDEN=1 it rewrites them
# instead: a regenerated golden file is a diff to review.
set -u
FT=$1
CASE=$2
DATA=$3
WORK=$4
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2
# Outputs carry a provenance record (provenance.h): the time is fixed
# here, and the data is reached through a relative path, so that the
# record is the same on every machine and in every checkout.
rm -f "$WORK.data"
ln -s "$DATA" "$WORK.data"
DATA="../$(basename "$WORK").data"
SOURCE_DATE_EPOCH=1700000000
export FT DATA SOURCE_DATE_EPOCH
sh "$CASE/cmd" >stdout 2>stderr
echo $? >exit
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp stdout stderr exit "$CASE/"
    exit 0
fi
status=0
for f in stdout stderr exit; do
    if ! cmp -s "$CASE/$f" "$f"; then
        echo "golden $(basename "$CASE"): $f differs:"
        diff -u "$CASE/$f" "$f" | head -40
        status=1
    fi
done
exit $status

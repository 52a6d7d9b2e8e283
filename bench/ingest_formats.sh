#!/usr/bin/env bash
# ingest_formats.sh - loading bank statements: MT940 and camt.053 against
# the generic CSV of the same transfers, measured in the same run.
#
#   bench/ingest_formats.sh [ENTRIES] [WORKDIR]     (defaults: 1000000, bench/out)
#
# bench/gen_statements.py writes ENTRIES entries three ways (MT940, camt.053,
# CSV). Prints rows per second and peak resident memory (GNU time) for each,
# at ENTRIES and at a tenth of it. The store grows with the rows in every
# format, and statements keep more columns than the generic CSV (value
# date, end-to-end id, counterparty name, side), so what shows that camt is
# streamed is its peak minus the MT940 load's (the same store, read line by
# line with getline): it must not grow with the XML, which is 3x larger.
# Writes WORKDIR/ingest_formats.json.
set -euo pipefail

n=${1:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"

small=$((n / 10))
for k in "$small" "$n"; do
    if [ ! -s "$work/stmt-$k.xml" ]; then
        echo "generating $k entries..." >&2
        python3 "$here/gen_statements.py" "$k" "$work"
    fi
done

declare -A secs_of kib_of
for k in "$small" "$n"; do
    for f in csv sta xml; do
        cat "$work/stmt-$k.$f" >/dev/null # warm the page cache
        run "load $k .$f" "$ft" load -q --no-dedup "$work/stmt-$k.$f"
        secs_of[$k.$f]=$secs
        kib_of[$k.$f]=$kib
    done
done

awk -v n="$n" -v small="$small" \
    -v cs="${secs_of[$n.csv]}" -v ms="${secs_of[$n.sta]}" -v xs="${secs_of[$n.xml]}" \
    -v ck="${kib_of[$n.csv]}" -v mk="${kib_of[$n.sta]}" -v xk="${kib_of[$n.xml]}" \
    -v sck="${kib_of[$small.csv]}" -v smk="${kib_of[$small.sta]}" -v sxk="${kib_of[$small.xml]}" \
    -v cb="$(stat -c %s "$work/stmt-$n.csv")" -v mb="$(stat -c %s "$work/stmt-$n.sta")" \
    -v xb="$(stat -c %s "$work/stmt-$n.xml")" -v json="$work/ingest_formats.json" 'BEGIN {
    printf "\nstatement load benchmark: %d entries (and %d for memory)\n\n", n, small
    printf "  %-28s %9s %10s %12s %12s %12s\n", "format", "MB", "seconds", "rows/s", "peak MB", "vs CSV"
    printf "  %-28s %9.0f %10.2f %12.0f %12.1f %12s\n", "generic CSV", cb/1e6, cs, n/cs, ck/1024, "1.00x"
    printf "  %-28s %9.0f %10.2f %12.0f %12.1f %11.2fx\n", "MT940", mb/1e6, ms, n/ms, mk/1024, ms/cs
    printf "  %-28s %9.0f %10.2f %12.0f %12.1f %11.2fx\n", "camt.053", xb/1e6, xs, n/xs, xk/1024, xs/cs
    printf "\n  peak resident memory:\n"
    printf "  %-28s %12s %12s\n", "", small " entries", n " entries"
    printf "  %-28s %10.1f MB %10.1f MB\n", "generic CSV", sck/1024, ck/1024
    printf "  %-28s %10.1f MB %10.1f MB\n", "MT940", smk/1024, mk/1024
    printf "  %-28s %10.1f MB %10.1f MB\n", "camt.053", sxk/1024, xk/1024
    printf "  %-28s %10.1f MB %10.1f MB   (flat: the reader streams)\n", "camt.053 - MT940", (sxk-smk)/1024, (xk-mk)/1024
    printf "{\"entries\":%d,\"csv_s\":%s,\"mt940_s\":%s,\"camt_s\":%s,\"csv_peak_kib\":%d,\"mt940_peak_kib\":%d,\"camt_peak_kib\":%d,\"small\":%d,\"small_csv_peak_kib\":%d,\"small_mt940_peak_kib\":%d,\"small_camt_peak_kib\":%d}\n", n, cs, ms, xs, ck, mk, xk, small, sck, smk, sxk > json
}'
echo
echo "figures written to $work/ingest_formats.json"

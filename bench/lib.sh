# lib.sh - shared by the bench scripts (sourced, not run).
#
# bench_setup WORKDIR: checks for GNU time, builds fundtrace if needed, and
#   sets `top`, `work` and `ft`.
# run LABEL CMD...: runs CMD three times with its output discarded; sets
#   `secs` to the best wall time (from $EPOCHREALTIME), `cpu` to the least
#   CPU time (user + system, from GNU time: steadier than wall time on a
#   shared machine) and `kib` to the largest peak RSS in KiB, and reports
#   them on stderr.

bench_setup() {
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    work=$1
    mkdir -p "$work"
    work=$(cd "$work" && pwd)
    if [ ! -x /usr/bin/time ]; then
        echo "bench: needs GNU time for peak memory: apt-get install -y time" >&2
        exit 2
    fi
    ft=$top/build/fundtrace
    if [ ! -x "$ft" ]; then
        cmake -S "$top" -B "$top/build" >/dev/null
        cmake --build "$top/build" -j2 >/dev/null
    fi
}

run() {
    local label=$1
    shift
    secs= cpu= kib=0
    for _ in 1 2 3; do
        local t0=$EPOCHREALTIME
        /usr/bin/time -f '%M %U %S' -o "$work/time.out" "$@" >/dev/null 2>"$work/err.out" || {
            echo "bench: $label failed:" >&2
            cat "$work/err.out" >&2
            exit 1
        }
        local t1=$EPOCHREALTIME s k u y c
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
        read -r k u y <"$work/time.out"
        c=$(awk -v a="$u" -v b="$y" 'BEGIN{printf "%.2f", a + b}')
        if [ -z "$secs" ] || awk "BEGIN{exit !($s < $secs)}"; then secs=$s; fi
        if [ -z "$cpu" ] || awk "BEGIN{exit !($c < $cpu)}"; then cpu=$c; fi
        if [ "$k" -gt "$kib" ]; then kib=$k; fi
    done
    echo "  $label: ${secs} s (CPU ${cpu} s), peak ${kib} KiB" >&2
}

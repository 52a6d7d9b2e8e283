#!/bin/sh
# slurm.sh FUNDTRACE WORKDIR
# contrib/slurm on a one-node Slurm started here: munged, slurmctld and
# slurmd from Debian's packages, as root, everything under WORKDIR (a
# minimal slurm.conf: proctrack/linuxproc, task/none, no accounting). A
# job array traces a synth set's seeds in 4 parts, a dependent job merges
# them, and the result must be one run's output, byte for byte. Only the
# daemons started here are stopped, by their pids. Skips (exit 77) where
# the packages are missing or not root.
set -u
FT=$1
WORK=$2
top=$(cd "$(dirname "$0")/.." && pwd)
skip() {
    echo "slurm: skipped: $*"
    exit 77
}
for prog in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$prog" >/dev/null 2>&1 ||
        skip "no $prog (apt-get install slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" = 0 ] || skip "the daemons run as root here, and this is not root"

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
T=$WORK/slurm
mkdir -p "$T/state" "$T/spool" "$T/munge"
chmod 700 "$T/munge"
pids=
stop() {
    for p in $pids; do
        kill "$p" 2>/dev/null
    done
    for p in $pids; do
        # Not our child when the daemon forked; wait for it by polling.
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$p" 2>/dev/null
    done
}
trap stop EXIT
fail() {
    echo "slurm: $*"
    for f in "$T"/*.log; do
        echo "--- $f"
        tail -20 "$f"
    done
    exit 1
}

# munge: a key of our own and a socket in the work directory.
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
    --pid-file="$T/munge/munged.pid" --log-file="$T/munged.log" \
    --seed-file="$T/munge/munge.seed" >/dev/null 2>&1 &
pids="$!"
for _ in $(seq 50); do [ -S "$T/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.sock" ] || fail "munged did not start"

host=$(hostname -s)
port() { # a free TCP port on localhost
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cpus=$(nproc)
cat >"$T/slurm.conf" <<CONF
ClusterName=fundtrace-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(port)
SlurmdPort=$(port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.sock
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$T/slurmd.out" 2>&1 &
pids="$pids $!"
up=
for _ in $(seq 120); do
    if sinfo -h -o %t 2>/dev/null | grep -q idle; then
        up=1
        break
    fi
    sleep 0.5
done
[ -n "$up" ] || fail "the node did not come up ($(sinfo -h -o '%t %E' 2>&1))"

# Waits (up to 2 minutes) for job $job to end; its end in $state.
wait_job() {
    state=
    for _ in $(seq 240); do
        state=$(scontrol show job "$job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        case $state in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;;
        esac
        sleep 0.5
    done
}

# The data on "shared storage" (the work directory), one run to compare with.
cd "$WORK"
"$FT" synth --rows 20000 --seed 5 -o data.csv >/dev/null 2>&1 || fail "synth failed"
"$FT" load -q data.csv -o data.ftg >/dev/null || fail "load failed"
sed -n '2,300p' data.csv | cut -d, -f3,4 | tr , : | awk '!seen[$0]++' | head -17 >seeds.txt
# (Without the provenance record: the job names the files by other paths.)
"$FT" trace --seeds seeds.txt --no-provenance --format jsonl data.ftg >one.jsonl
one=$?

FUNDTRACE=$FT "$top/contrib/slurm/submit.sh" 4 "$WORK/parts" "$WORK/data.ftg" \
    "$WORK/merged.jsonl" trace --seeds "$WORK/seeds.txt" --no-provenance --format jsonl >job.id ||
    fail "submit failed"
job=$(cat job.id)
wait_job
ls parts >/dev/null 2>&1 || fail "no parts were written"
[ "$(ls parts/part.* | wc -l)" = 4 ] || fail "not 4 parts: $(ls parts)"
# merge exits 1 when nothing was found: Slurm calls that FAILED.
if [ "$one" = 0 ] && [ "$state" != COMPLETED ]; then
    fail "the merge job ended $state"
fi
cmp -s one.jsonl merged.jsonl || fail "the merged output differs from one run's"
echo "slurm: 4 parts on a job array, merged by a dependent job: one run's $(wc -l <one.jsonl) lines"

# A scan the same way: its parts carry the command line, and the merge job
# reads the data again (the same absolute path) for the scan's last step.
"$FT" scan -q --no-provenance --format jsonl data.ftg >scan-one.jsonl 2>/dev/null
FUNDTRACE=$FT "$top/contrib/slurm/submit.sh" 3 "$WORK/scan-parts" "$WORK/data.ftg" \
    "$WORK/scan-merged.jsonl" scan -q --no-provenance --format jsonl >job.id || fail "submit (scan) failed"
job=$(cat job.id)
wait_job
[ "$state" = COMPLETED ] || fail "the scan's merge job ended $state ($(cat scan-parts/merge.err))"
cmp -s scan-one.jsonl scan-merged.jsonl || fail "the merged scan differs from one scan's"
# The array read the data's profile that one job made first.
[ -s scan-parts/profile ] || fail "no shared profile made for the scan's parts ($(cat scan-parts/profile.err 2>/dev/null))"
echo "slurm: a scan in 3 parts, merged: one scan's $(wc -l <scan-one.jsonl) alerts"
exit 0

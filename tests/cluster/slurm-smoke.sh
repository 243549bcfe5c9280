#!/usr/bin/env bash
# The cluster path on a real Slurm (docs/reliability.md, "Running on a cluster"). Run by .ci/run after
# the tests and counted as one test; prints "slurm-smoke skipped: WHY" and exits 0 where it cannot run
# (not root, no apt, no ../shared/data/ml-100k, Slurm cannot be installed), "slurm-smoke passed" or
# "slurm-smoke FAILED: WHY" (exit 1) otherwise.
#
# As root with apt: installs Debian's Slurm and munge, starts a single-node cluster from a
# configuration it writes into a scratch folder (SLURM_CONF; /etc/slurm is not touched), then
#   1. submits two plans of the smoke experiment over one results folder at once: 8 array tasks for
#      4 runs; the run-folder locks make each run happen once; then `repro check` passes on the
#      results and `repro report` merges them;
#   2. submits a plan of one Mult-VAE run into a second results folder, cancels it (scancel) after a
#      few epochs, resubmits: it resumes from its saved state and ends with the same test metrics as
#      the uninterrupted run of step 1;
#   3. submits a LOCA run in parts (`repro plan --parts 2`: a global-step job, an array of the 2 parts
#      after it, a combine job after the array) and compares its per-user test values with the same
#      run done in one process (within 1e-6);
# and stops the daemons it started. A Release build must exist (.ci/run's test step makes it).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$(date +%s)

skip() { echo "slurm-smoke skipped: $*"; exit 0; }
fail() { echo "slurm-smoke FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "not running as root (it installs and starts Slurm's daemons)"
command -v apt-get >/dev/null || skip "apt-get is not available"
data=${REPRO_SHARED_DATA:-$(cd .. && pwd)/shared/data}
[ -f "$data/ml-100k/u.data" ] || skip "ml-100k is not in $data (the smoke experiment reads it)"
repro=$(ls "$root"/src/Repro.Cli/bin/Release/*/repro 2>/dev/null | head -n 1)
[ -x "$repro" ] || skip "no Release build of the CLI (src/Repro.Cli/bin/Release/*/repro); build first"

# munged may be started by the package's install script: whatever munged was not running before is ours to stop.
munge_before=" $(pgrep -x munged | tr '\n' ' ')"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "installing slurmctld, slurmd, slurm-client and munge with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge; } >/tmp/slurm-smoke-apt.log 2>&1 \
        || skip "apt-get could not install Slurm (see /tmp/slurm-smoke-apt.log)"
fi

work=$(mktemp -d /tmp/slurm-smoke.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
export SLURM_CONF=$work/slurm.conf
mkdir -p "$work/state" "$work/spool" "$work/jobs"
cat >"$SLURM_CONF" <<CONF
ClusterName=reprosmoke
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=6917
SlurmdPort=6918
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=20
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Eight slots on this node whatever its cores, so the two plans' tasks for one run start together
# and contend for its folder (config_overrides lets slurmd accept more CPUs than it finds).
SlurmdParameters=config_overrides
NodeName=$host CPUs=8 State=UNKNOWN
PartitionName=smoke Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

cleanup() {
    scancel --quiet --user=root 2>/dev/null
    for f in "$work/slurmd.pid" "$work/slurmctld.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    for pid in $(pgrep -x munged); do
        case "$munge_before" in *" $pid "*) ;; *) kill "$pid" 2>/dev/null ;; esac
    done
    sleep 1
}
trap cleanup EXIT

if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
    [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f 2>/dev/null; }
    munged --force || fail "munged did not start"
    sleep 1
fi
slurmctld || fail "slurmctld did not start (log: $work/slurmctld.log)"
slurmd || fail "slurmd did not start (log: $work/slurmd.log)"
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %T | grep -q idle || fail "the node never became idle: $(sinfo 2>&1 | tail -n 2)"
echo "Slurm is up: $(sinfo -h -o '%P %D %c %T')"

# Waits for job ids to leave the queue, within a limit in seconds.
wait_jobs() {
    local limit=$1; shift
    local until=$(( $(date +%s) + limit ))
    while [ -n "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$until" ] || fail "jobs $* still queued or running after ${limit} s"
        sleep 2
    done
}
submit() { (cd "$work/jobs" && sbatch --parsable --chdir="$root" "$@") | cut -d';' -f1; }
plan() { "$repro" --data-dir "$data" plan --experiment smoke --format slurm --threads 1 --repro "$repro" "$@"; }
# Every array task writes its log beside the job files.
logs() { cat "$root"/slurm-"$1"_*.out 2>/dev/null; }

results=$work/results
plan --results "$results" --output "$work/plan-a.sh" || fail "repro plan failed"
plan --results "$results" --output "$work/plan-b.sh" || fail "repro plan failed"
a=$(submit "$work/plan-a.sh") && b=$(submit "$work/plan-b.sh") || fail "sbatch refused the plans"
echo "step 1: submitted two plans over one results folder at once: jobs $a and $b"

# Step 2's run: one Mult-VAE run into its own folder, cancelled after a few epochs.
resumed=$work/resumed
plan --results "$resumed" --only 'ml-100k/mult-vae' --output "$work/plan-c.sh" || fail "repro plan --only failed"
c=$(submit "$work/plan-c.sh") || fail "sbatch refused plan c"
vae_folder() { ls -d "$1"/smoke/ml-100k/mult-vae-* 2>/dev/null | head -n 1; }
until_epochs=$(( $(date +%s) + 600 ))
while :; do
    f=$(vae_folder "$resumed")
    lines=$([ -n "$f" ] && [ -f "$f/epochs.tsv" ] && wc -l <"$f/epochs.tsv" || echo 0)
    [ "$lines" -ge 6 ] && break
    [ -z "$(squeue -h -j "$c")" ] && fail "job $c ended before it could be cancelled: $(logs "$c" | tail -n 5)"
    [ "$(date +%s)" -lt "$until_epochs" ] || fail "job $c logged no 5 epochs within 600 s"
    sleep 1
done
scancel "$c"
echo "step 2: cancelled job $c after $((lines - 1)) epochs"
wait_jobs 120 "$c"
f=$(vae_folder "$resumed")
[ -f "$f/state.bin" ] || fail "the cancelled run left no saved state in $f"
[ -f "$f/metrics.json" ] && fail "the cancelled run looks finished"
plan --results "$resumed" --only 'ml-100k/mult-vae' --output "$work/plan-d.sh" || fail "repro plan failed"
grep -q 'mult-vae' "$work/plan-d.sh" || fail "the resubmitted plan lacks the cancelled run"
d=$(submit "$work/plan-d.sh") || fail "sbatch refused plan d"
echo "step 2: resubmitted as job $d"

wait_jobs 1200 "$a" "$b" "$d"

# Step 1: each run done once, every run finished, check and report.
done_lines=$(logs "$a"; logs "$b")
for run in $(grep -o "ml-100k/[a-z-]*-[0-9a-f]\{8\}-s1" "$work/plan-a.sh" | sort -u); do
    n=$(echo "$done_lines" | grep -c "^  $run: done in")
    [ "$n" = 1 ] || fail "run $run was done $n time(s) by the two plans (expected once)"
    [ -f "$results/smoke/$run/metrics.json" ] || fail "run $run has no metrics.json"
    if [ -f "$results/smoke/$run/epochs.tsv" ]; then
        dup=$(cut -f1 "$results/smoke/$run/epochs.tsv" | sort | uniq -d | head -n 1)
        [ -z "$dup" ] || fail "run $run's epochs.tsv repeats epoch $dup"
    fi
done
held=$(echo "$done_lines" | grep -c ": left to pid")
echo "step 1: each of the 4 runs done once; $held task(s) found their run held by the other plan"
"$repro" check --results "$results" || fail "repro check failed on the Slurm results"
"$repro" report --results "$results" --output "$work/report/tables.md" || fail "repro report failed"
grep -q "smoke" "$work/report/tables.md" || fail "the report does not show the smoke runs"

# Step 2: the resumed run finished with the uninterrupted run's test metrics.
f=$(vae_folder "$resumed")
logs "$d" | grep -q "resuming the run saved in" || fail "the resubmitted task did not resume: $(logs "$d" | tail -n 5)"
[ -f "$f/metrics.json" ] || fail "the resumed run did not finish"
# Per-user test values written with round-trip precision: equal files mean bit-identical metrics.
cmp -s "$f/test-users.tsv" "$(vae_folder "$results")/test-users.tsv" || fail "the resumed run's test metrics differ from the uninterrupted run's"
dup=$(cut -f1 "$f/epochs.tsv" | sort | uniq -d | head -n 1)
[ -z "$dup" ] || fail "the resumed run's epochs.tsv repeats epoch $dup"
echo "step 2: the cancelled run resumed and ended with the uninterrupted run's test metrics"

# Step 3: a LOCA run in parts as Slurm jobs with dependencies, against the same run in one process.
parts_run='ml-100k/loca-vae-6bff6d31-s1'   # loca-q's LOCA-VAE with 10 local models, about 15 s in one process
"$repro" --data-dir "$data" plan --experiment loca-q --format slurm --parts 2 --only "$parts_run" --threads 1 --repro "$repro" \
    --results "$work/parts" --output "$work/plan-parts.sh" || fail "repro plan --parts failed"
submitted=$(cd "$root" && bash "$work/plan-parts.sh") || fail "the plan in parts did not submit: $submitted"
ids=$(echo "$submitted" | sed -n 's/.*: global \([0-9]*\), parts \([0-9]*\), combine \([0-9]*\)$/\1 \2 \3/p')
[ -n "$ids" ] || fail "the plan in parts printed no job ids: $submitted"
echo "step 3: submitted $parts_run in 2 parts: global, parts, combine = jobs $ids"
"$repro" --data-dir "$data" run --experiment loca-q --only "$parts_run" --threads 1 --results "$work/whole" >"$work/whole.log" 2>&1 \
    || fail "the one-process LOCA run failed: $(tail -n 5 "$work/whole.log")"
# shellcheck disable=SC2086
wait_jobs 900 $ids
split=$work/parts/loca-q/$parts_run
[ -f "$split/metrics.json" ] || fail "the run in parts has no metrics.json: $(cat "$root"/slurm-*.out 2>/dev/null | tail -n 8)"
# Per-user values, column by column: the parts' sums may differ from one process's in the last float bits.
awk -F'\t' 'NR == FNR { line[FNR] = $0; next }
    { n = split(line[FNR], x, "\t"); for (i = 1; i <= n; i++) { d = x[i] - $i; if (d < 0) d = -d
        if (d > 1e-6) { printf "test-users.tsv line %d, column %d: %s in one process, %s in parts\n", FNR, i, x[i], $i; bad = 1; exit } } }
    END { exit bad }' "$work/whole/loca-q/$parts_run/test-users.tsv" "$split/test-users.tsv" >"$work/parts-diff.txt" \
    || fail "the run in parts differs from the one-process run: $(cat "$work/parts-diff.txt")"
echo "step 3: the run in parts (global, 2 array tasks, combine) gave the one-process run's per-user test values"
for id in $ids; do rm -f "$root"/slurm-"$id".out "$root"/slurm-"$id"_*.out; done

rm -f "$root"/slurm-"$a"_*.out "$root"/slurm-"$b"_*.out "$root"/slurm-"$c"_*.out "$root"/slurm-"$d"_*.out
echo "slurm-smoke passed in $(( $(date +%s) - started )) s"

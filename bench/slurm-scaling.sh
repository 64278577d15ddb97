#!/usr/bin/env bash
# Wall time of one study through `chorus slurm submit` against the number of array tasks, on the one-node test cluster
# (tests/slurm/cluster.sh), next to the same study in one process. Writes bench/results/slurm_scaling.md.
#
#   bench/slurm-scaling.sh [STUDY OPTIONS...]     default: --members 6 (the default demo otherwise: small-cnn, 64 px)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
study=("$@"); [ ${#study[@]} -eq 0 ] && study=(--members 6)
members=6; for ((i = 0; i < ${#study[@]}; i++)); do [ "${study[$i]}" = --members ] && members=${study[$((i + 1))]}; done
work=$(mktemp -d /tmp/chorus-slurm-scaling.XXXXXX)
dotnet build -c Release "$repo/src/Chorus.Cli" -v q -nologo >/dev/null
chorus=("dotnet" "$repo/src/Chorus.Cli/bin/Release/net10.0/chorus.dll")

bash "$repo/tests/slurm/cluster.sh" "$work/cluster" > "$work/cluster.out" 2>&1 &
cluster=$!
trap 'kill -TERM $cluster 2>/dev/null; wait $cluster 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q READY "$work/cluster.out" && break; sleep 0.5; done
grep -q READY "$work/cluster.out" || { cat "$work/cluster.out"; exit 1; }
export SLURM_CONF="$work/cluster/slurm.conf"

now() { date +%s.%N; }
out="$repo/bench/results/slurm_scaling.md"
{
  echo "# Study wall time against Slurm array tasks (one-node cluster)"
  echo
  echo "Measured $(date -u +%F) by \`bench/slurm-scaling.sh ${study[*]}\`: the default demo otherwise (small-cnn, 64 px, SynthBirds 2000 images, 100 explained, five methods)."
  echo "One node: $(nproc) CPUs. Each array task gets --cpus-per-task 1 (one libtorch thread); members are split evenly over the tasks."
  echo "The one-process row is \`chorus demo\` with all $(nproc) threads."
  echo
  echo "| layout | tasks | wall s (submit to merged) | prepare s | slowest task s | merge s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} > "$out.tmp"

t0=$(now); "${chorus[@]}" demo "${study[@]}" --out "$work/single" > "$work/single.log" 2>&1; t1=$(now)
printf '| one process, %s threads | - | %.1f | | | |\n' "$(nproc)" "$(echo "$t1 - $t0" | bc)" >> "$out.tmp"
t0=$(now); "${chorus[@]}" demo "${study[@]}" --threads 1 --out "$work/single-1" > "$work/single-1.log" 2>&1; t1=$(now)
printf '| one process, 1 thread | - | %.1f | | | |\n' "$(echo "$t1 - $t0" | bc)" >> "$out.tmp"

same=""
for tasks in 1 2 3 $members; do
  per=$(( (members + tasks - 1) / tasks ))
  run="$work/tasks-$tasks"
  t0=$(now)
  "${chorus[@]}" slurm submit "${study[@]}" --out "$run" --cpus-per-task 1 --members-per-task "$per" > "$work/submit-$tasks.log" 2>&1
  merge=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[-1]['merge_job'])" "$run/slurm/submissions.json")
  while scontrol show job -o "$merge" | grep -qE 'JobState=(PENDING|RUNNING|COMPLETING)'; do sleep 0.5; done
  t1=$(now)
  scontrol show job -o "$merge" | grep -q 'JobState=COMPLETED' || { echo "merge of $tasks tasks failed"; tail -20 "$run"/slurm/logs/*; exit 1; }
  cmp -s "$work/single-1/results.csv" "$run/results.csv" && same="$same $tasks" || echo "note: results.csv of $tasks tasks differs from one process with 1 thread" >&2
  read -r prep slow < <(python3 - "$run" <<'PY'
import json, glob, sys
run = sys.argv[1]
prep = json.load(open(f"{run}/run/tasks/prepare.json"))["timings_s"]["total"]
slow = max(json.load(open(p))["timings_s"]["total"] for p in glob.glob(f"{run}/run/tasks/members-*.json"))
print(prep, slow)
PY
)
  msec=$(scontrol show job -o "$merge" | python3 -c "import sys, re, datetime as d; l = sys.stdin.read(); t = lambda k: d.datetime.fromisoformat(re.search(k + r'=(\S+)', l).group(1)); print(int((t('EndTime') - t('StartTime')).total_seconds()))")
  printf '| slurm, %s member(s) per task | %d | %.1f | %.1f | %.1f | %s |\n' "$per" "$tasks" "$(echo "$t1 - $t0" | bc)" "$prep" "$slow" "$msec" >> "$out.tmp"
done
python3 - "$work/tasks-$members" "$members" >> "$out.tmp" <<'PY'
import json, glob, sys, re
run, members = sys.argv[1], int(sys.argv[2])
prep = json.load(open(f"{run}/run/tasks/prepare.json"))["timings_s"]["total"]
tasks = [json.load(open(p))["timings_s"]["total"] for p in glob.glob(f"{run}/run/tasks/members-*.json")]
print()
print(f"Projection for 11 nodes, one member per node (one array task each, 1 CPU): preparation {prep:.0f} s + the slowest one-member task "
      f"{max(tasks):.0f} s (measured here with two tasks sharing the node, so if anything high) + the merge, against 11 members in a row in one process. "
      f"Scheduling latency on the test cluster is about 1 s per job (sched_interval=1).")
PY
echo >> "$out.tmp"
echo "results.csv byte-identical to one process with 1 thread for:${same:- none} task count(s). One process with $(nproc) threads trains with another reduction order, so its numbers differ in the third decimal." >> "$out.tmp"
{
  echo
  echo "\`lscpu\`:"
  echo
  echo '```'
  lscpu | grep -E '^(Architecture|CPU\(s\)|Model name|Thread|Core|Socket)'
  echo "Vector flags: $(lscpu | grep -oE 'avx[0-9a-z_]*|amx[0-9a-z_]*' | sort -u | tr '\n' ' ')"
  echo '```'
} >> "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"

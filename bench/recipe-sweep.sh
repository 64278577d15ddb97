#!/usr/bin/env bash
# Training recipe sweep for pretrained backbones (issue: "the study's own setting works by default").
# ImageNet ResNet-18 at 224 px on SynthBirds rendered at 224 px (8 species, 320 images: 224 train / 96 test),
# 2 members, 3 epochs, all stages trained, head lr 0.003 (AdamW), batch 32. Prints one line per configuration:
# the members' held-out accuracies and the final training loss, from each run's manifest.
# Usage: bash bench/recipe-sweep.sh [OUT_DIR]   (about 2-3 minutes per configuration on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/chorus-recipe-sweep}
mkdir -p "$out"
dotnet build -c Release src/Chorus.Cli > /dev/null
chorus="dotnet src/Chorus.Cli/bin/Release/net10.0/chorus.dll"
[ -d "$out/sb224" ] || $chorus synth birds --out "$out/sb224" --species 8 --size 224 --count 320 --seed 0 > /dev/null
run() {
  local name=$1; shift
  local dir="$out/$name"
  local start=$SECONDS
  $chorus train --data "$out/sb224" --size 224 --backbone resnet18-imagenet --members 2 --epochs 3 --batch-size 32 \
    --out "$dir" "$@" > "$dir.log" 2>&1 || { echo "$name: failed (see $dir.log)"; return; }
  python3 - "$dir/manifest.json" "$name" "$((SECONDS - start))" "$*" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
acc = m["results"]["test_accuracy_per_member"]
print(f"| {sys.argv[2]} | `{sys.argv[4]}` | {' / '.join(f'{a*100:.1f} %' for a in acc)} | {sum(acc)/len(acc)*100:.1f} % | {sys.argv[3]} s |")
PY
}
echo "| configuration | options | held-out accuracy per member | mean | wall |"
echo "| --- | --- | --- | ---: | ---: |"
run same-lr
run bb-1e-3 --backbone-lr 0.001
run bb-3e-4 --backbone-lr 0.0003
run bb-1e-4 --backbone-lr 0.0001
run bb-1e-4-warm --backbone-lr 0.0001 --warmup 0.5
run bb-1e-4-warm-frozenbn --backbone-lr 0.0001 --warmup 0.5 --freeze-bn
run bb-3e-4-warm-frozenbn --backbone-lr 0.0003 --warmup 0.5 --freeze-bn
run sgd-bb-1e-3-warm --optimizer sgd --lr 0.01 --backbone-lr 0.001 --warmup 0.5

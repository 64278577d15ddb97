#!/usr/bin/env bash
# Builds the chorus OCI image with podman, from Debian's archive and this checkout only (no container registry):
#   1. base image chorus-base:bookworm: mmdebstrap --variant=minbase bookworm, then podman import (skipped when the image
#      exists; the tarball is kept in the work folder, so a deleted image is re-imported without downloading again);
#   2. dotnet publish -c Release -r linux-x64 --self-contained of src/Chorus.Cli into WORK/context/publish;
#   3. podman build -f deploy/container/Containerfile WORK/context.
# Prints the time of each step and the image size. Needs podman and dotnet; mmdebstrap only for step 1.
# Usage: deploy/container/build.sh [--tag NAME] [--work DIR] [--rebuild-base] [--skip-publish]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tag="localhost/chorus:latest"
work="${CHORUS_CONTAINER_WORK:-/var/tmp/chorus-container}"
base="localhost/chorus-base:bookworm"
rebuild_base=0
skip_publish=0

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a name, e.g. localhost/chorus:latest}"; shift 2 ;;
    --work) work="${2:?--work needs a folder}"; shift 2 ;;
    --rebuild-base) rebuild_base=1; shift ;;
    --skip-publish) skip_publish=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || { echo "build.sh: '$1' is not installed ($2)." >&2; exit 3; }; }
seconds() { echo $(( $(date +%s) - $1 )); }
need podman "apt-get install -y podman runc"
mkdir -p "$work"

# 1. The base image, from Debian's archive.
start=$(date +%s)
if [ "$rebuild_base" = 1 ] || ! podman image exists "$base"; then
  tarball="$work/bookworm-minbase.tar"
  if [ "$rebuild_base" = 1 ] || [ ! -s "$tarball" ]; then
    need mmdebstrap "apt-get install -y mmdebstrap"
    echo "base: mmdebstrap --variant=minbase bookworm -> $tarball"
    rm -f "$tarball.tmp.tar"
    # mmdebstrap picks the output format from the file name: write *.tar, rename once complete.
    mmdebstrap --variant=minbase bookworm "$tarball.tmp.tar" ${CHORUS_DEBIAN_MIRROR:+"$CHORUS_DEBIAN_MIRROR"}
    mv "$tarball.tmp.tar" "$tarball"
  fi
  podman import --quiet "$tarball" "$base" >/dev/null
  echo "base: $base built in $(seconds "$start") s"
else
  echo "base: $base exists (--rebuild-base to make it again)"
fi

# 2. The self-contained CLI: .NET runtime, libtorch, the patched libLibTorchSharp.so, the ResNet-18 weights.
context="$work/context"
publish="$context/publish"
if [ "$skip_publish" = 0 ]; then
  need dotnet "the .NET SDK of global.json"
  start=$(date +%s)
  rm -rf "$publish"
  dotnet publish "$repo/src/Chorus.Cli/Chorus.Cli.csproj" -c Release -r linux-x64 --self-contained -o "$publish" -nologo -v quiet
  echo "publish: $(du -sh "$publish" | cut -f1) in $(seconds "$start") s"
fi
for required in chorus libLibTorchSharp.so libtorch_cpu.so models/resnet18-imagenet.onnx; do
  [ -e "$publish/$required" ] || { echo "build.sh: $publish/$required is missing; the publish is incomplete (run without --skip-publish)." >&2; exit 4; }
done

# 3. The image.
start=$(date +%s)
version="$(dotnet msbuild "$repo/src/Chorus.Core/Chorus.Core.csproj" -getProperty:VersionPrefix 2>/dev/null || echo unknown)"
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
podman build --quiet -f "$repo/deploy/container/Containerfile" --build-arg "BASE=$base" \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" -t "$tag" "$context" >/dev/null
size=$(podman image inspect "$tag" --format '{{.Size}}')
echo "image: $tag ($(( size / 1000000 )) MB) built in $(seconds "$start") s"
echo "run:   podman run --rm --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 -v \$PWD/data:/data $tag doctor"

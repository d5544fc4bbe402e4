#!/usr/bin/env bash
# Packs what a machine with a real GPU and no Go needs to run hubel's GPU
# tests and checks: each GPU package's tests as one binary (go test -c) and
# the hubel command, for linux/amd64, into the folder given (default
# artifacts/gpu-pack). Run them there with test/gpu/run.sh from a checkout
# of the same commit (the tests read their testdata and ../shared by
# relative paths). docs/gpu-nvidia.md has what else to carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-artifacts/gpu-pack}"
mkdir -p "$out"
export GOOS=linux GOARCH=amd64
for p in gpu am models train cmd/hubel; do
	go test -c -ldflags="-s -w" -o "$out/$(basename "$p").test" "./$p"
done
go build -ldflags="-s -w" -o "$out/hubel" ./cmd/hubel
git rev-parse HEAD > "$out/commit"
echo "test/gpu/pack.sh: $(du -sh "$out" | cut -f1) in $out (commit $(cut -c1-7 "$out/commit"))"

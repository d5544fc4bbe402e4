#!/usr/bin/env bash
# Runs, on a machine with a GPU, what test/gpu/pack.sh packed: every GPU
# package's tests in its own folder (CI=true: no adapter fails them), then
# a check that the tuner's kernel picks hold from run to run (six runs of
# `hubel bench` keeping no picks; each names the kernels it picked). Logs
# go to the folder given second (default: the pack). Run it from the
# repository root of the commit the pack was built from.
#
#   test/gpu/run.sh [PACK] [LOGS]
set -uo pipefail
cd "$(dirname "$0")/../.."
pack="$(cd "${1:-artifacts/gpu-pack}" && pwd)"
logs="${2:-$pack}"
mkdir -p "$logs"
logs="$(cd "$logs" && pwd)"
head="$(git rev-parse HEAD 2>/dev/null || true)"
if [ -n "$head" ] && [ -f "$pack/commit" ] && [ "$(cat "$pack/commit")" != "$head" ]; then
	echo "test/gpu/run.sh: the pack is of commit $(cut -c1-7 "$pack/commit"), this checkout is at ${head:0:7}" >&2
fi
status=0
for p in gpu am models train cmd/hubel; do
	n="$(basename "$p")"
	(cd "$p" && CI=true "$pack/$n.test" -test.timeout 20m > "$logs/test_$n.log" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || status=1
	echo "$p: $([ $rc -eq 0 ] && echo ok || echo "FAIL (rc $rc)"), log $logs/test_$n.log"
	grep -h -- "--- FAIL" "$logs/test_$n.log" | head -20
done
echo "kernel picks of six runs, none kept (HUBEL_KERNEL_PICKS=off):"
models=(models/bundled/mnist)
[ -d ../shared/models/mobilenet_v1_0.75_224 ] && models+=(../shared/models/mobilenet_v1_0.75_224)
for m in "${models[@]}"; do
	size=224 layer=conv_pw_13_relu
	[ "$m" = models/bundled/mnist ] && size=28 layer=conv2
	for i in 1 2 3 4 5 6; do
		HUBEL_KERNEL_PICKS=off "$pack/hubel" bench -model "$m" -size $size -layer $layer -batch 1 -batch 8 -steps 20 -rounds 3 -json \
			> "$logs/picks_$(basename "$m")_$i.json" 2>/dev/null || status=1
		echo "  $(basename "$m") run $i: $(grep -o '"kernels":"[^"]*"' "$logs/picks_$(basename "$m")_$i.json") $(grep -o '"steps_per_sec":[0-9.]*' "$logs/picks_$(basename "$m")_$i.json" | cut -d: -f2 | cut -c1-6 | tr '\n' ' ')"
	done
done
exit $status

#!/usr/bin/env bash
# Issue #4's 10× measurement: 16 channels drawn at random (seeded, uniformly
# over all 3456 channels of conv_pw_7_relu..conv_pw_13_relu of MobileNet v1
# 0.75), rendered with `hubel render` at Lucid's defaults (FFT, decay 1,
# colour decorrelation, Lucid transforms, Adam 0.05, 16 redirected steps,
# 128 px) for 256 steps as one batch of 16; then the same 16 channels on the
# pre-activation layers (conv_pw_N_bn, the batch norm output before ReLU6,
# Lucid's *_pre_relu). For each channel: its value on a mid-grey image, the
# final value under the transforms (the last step of the render's history),
# and the final PNG re-evaluated without transforms by `hubel objective`.
#
#   docs/measure/random16.sh [OUTDIR]      (default artifacts/random16)
#
# Env: MODEL (default shared/models/mobilenet_v1_0.75_224 in ../shared or
# ../../shared of the repo root), CHANNEL_SEED (1), SEED (1), STEPS (256),
# SIZE (128), LAYERS ("relu bn"), STAGES ("render evaluate").
# Writes OUTDIR/{relu,bn}/{0..15}.png, OUTDIR/{relu,bn}.png (4×4 grids),
# the JSON of every command, and OUTDIR/summary.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/random16}
if [ -z "${MODEL:-}" ]; then
	for d in ../shared ../../shared; do [ -d "$d/models" ] && MODEL=$(cd "$d" && pwd)/models/mobilenet_v1_0.75_224 && break; done
fi
CHANNEL_SEED=${CHANNEL_SEED:-1}
SEED=${SEED:-1}
STEPS=${STEPS:-256}
SIZE=${SIZE:-128}
LAYERS=${LAYERS:-relu bn}
STAGES=${STAGES:-render evaluate}
mkdir -p "$OUT"
HUBEL=${HUBEL:-$OUT/hubel}
[ -n "${HUBEL_PREBUILT:-}" ] || go build -o "$HUBEL" ./cmd/hubel

# The draw: uniform over every channel of the seven layers (widths from
# `hubel layers`), Python's random.Random(seed).sample (stable across
# CPython 3.x), listed in the order drawn.
"$HUBEL" layers -model "$MODEL" >"$OUT/layers.txt"
CHANNELS=$(python3 - "$OUT/layers.txt" "$CHANNEL_SEED" <<'PY'
import random, re, sys
width = {}
for line in open(sys.argv[1]):
    m = re.match(r'(conv_pw_(\d+)_relu)\s+\S+\s+\[\d+, \d+, (\d+)\]', line)
    if m and 7 <= int(m.group(2)) <= 13:
        width[int(m.group(2))] = int(m.group(3))
units = [(l, c) for l in sorted(width) for c in range(width[l])]
print(*(f'{l}:{c}' for l, c in random.Random(int(sys.argv[2])).sample(units, 16)))
PY
)
echo "channels (seed $CHANNEL_SEED, as N:channel of conv_pw_N): $CHANNELS" | tee "$OUT/channels.txt"

specs() { # LAYER-SUFFIX → one spec per channel
	for u in $CHANNELS; do echo "conv_pw_${u%%:*}_$1:${u#*:}"; done
}

for stage in $STAGES; do
for kind in $LAYERS; do
case $stage in
render)
	args=()
	for s in $(specs "$kind"); do args+=(-objective "$s"); done
	echo "$(date -u +%T) render $kind"
	"$HUBEL" render -model "$MODEL" "${args[@]}" -steps "$STEPS" -size "$SIZE" -seed "$SEED" \
		-param fft -transforms lucid -lr 0.05 -out "$OUT/$kind.png" -out-dir "$OUT/$kind" -json >"$OUT/$kind.json"
	echo "$(date -u +%T) rendered $kind" ;;
evaluate)
	args=()
	for s in $(specs "$kind"); do args+=(-objective "$s"); done
	"$HUBEL" objective -model "$MODEL" -image grey "${args[@]}" -json >"$OUT/$kind.grey.json"
	i=0
	for s in $(specs "$kind"); do
		"$HUBEL" objective -model "$MODEL" -image "$OUT/$kind/$i.png" -objective "$s" -json >"$OUT/$kind/$i.objective.json"
		i=$((i + 1))
	done ;;
esac
done
done

case " $STAGES " in *" evaluate "*)
python3 - "$OUT" $LAYERS >"$OUT/summary.md" <<'PY'
import json, math, statistics, sys
out, kinds = sys.argv[1], sys.argv[2:]
CAP = 6.0  # ReLU6
for kind in kinds:
    render = json.load(open(f'{out}/{kind}.json'))
    grey = json.load(open(f'{out}/{kind}.grey.json'))['objectives']
    rows = []
    for i, g in enumerate(grey):
        clean = json.load(open(f'{out}/{kind}/{i}.objective.json'))['objectives'][0]['value']
        rows.append((g['spec'], g['value'], render['objective'][i][-1], clean))
    def ratio(a, b):
        return a / b if b > 0 else math.inf
    print(f"### {kind}: {len(rows)} channels, {len(render['objective'][0])} steps, {render['steps_per_sec']:.3f} steps/s, {render['adapter']}\n")
    cols = '| channel | grey | final (transforms) | final (clean) | clean / grey |'
    if kind == 'relu':
        cols += ' bound 6 / grey |'
    print(cols)
    print('|---' * (cols.count('|') - 1) + '|')
    for spec, g, t, c in rows:
        line = f'| {spec} | {g:.4f} | {t:.4f} | {c:.4f} | {ratio(c, g):.2f}× |'
        if kind == 'relu':
            line += f' {ratio(CAP, g):.1f}× |'
        print(line)
    mg = statistics.fmean(r[1] for r in rows)
    mt = statistics.fmean(r[2] for r in rows)
    mc = statistics.fmean(r[3] for r in rows)
    med_c = statistics.median(ratio(r[3], r[1]) for r in rows)
    med_t = statistics.median(ratio(r[2], r[1]) for r in rows)
    line = f'| **mean** | {mg:.4f} | {mt:.4f} | {mc:.4f} | {ratio(mc, mg):.2f}× (ratio of means) |'
    if kind == 'relu':
        line += f' {ratio(CAP, mg):.1f}× |'
    print(line)
    line = f'| **median of per-channel ratios** | | {med_t:.2f}× | {med_c:.2f}× | |'
    if kind == 'relu':
        line += f' {statistics.median(ratio(CAP, r[1]) for r in rows):.1f}× |'
    print(line)
    print(f'\nratio of means: transforms {ratio(mt, mg):.2f}×, clean {ratio(mc, mg):.2f}×; median of per-channel ratios: transforms {med_t:.2f}×, clean {med_c:.2f}×', end='')
    if kind == 'relu':
        reach = sum(1 for r in rows if ratio(CAP, r[1]) >= 10)
        print(f'; 6/grey ≥ 10 for {reach}/{len(rows)} channels, bound on the ratio of means 6/{mg:.4f} = {ratio(CAP, mg):.2f}×', end='')
    if any(r[1] <= 0 for r in rows):
        print(f'; {sum(1 for r in rows if r[1] <= 0)} channels have grey ≤ 0 (ratio ∞ or meaningless)', end='')
    print('\n')
PY
cat "$OUT/summary.md" ;;
esac

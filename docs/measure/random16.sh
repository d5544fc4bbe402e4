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
# SIZE (128), LAYERS ("relu bn"), STAGES ("render evaluate"), EVAL_BACKEND
# (cpu: `hubel objective` on gpu/ref, float64). The grey image and the final
# PNGs are evaluated with the network at three sizes: the render's grid
# (S+12), S and the model's own 224.
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
EVAL_BACKEND=${EVAL_BACKEND:-cpu}
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

# Sizes the network runs at: the render's grid (Lucid's transforms turn an
# S px image into S+12 px at scale 1, and hubel's renderer runs the network
# at that size), the image's own size S, and the model's own input size.
GRID=$((SIZE + 12))
MODEL_SIZE=$(awk 'NR == 1 { gsub(/[][,]/, ""); print $3 }' "$OUT/layers.txt")

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
	echo "$(date -u +%T) evaluate $kind"
	args=()
	for s in $(specs "$kind"); do args+=(-objective "$s"); done
	for sz in $GRID $SIZE $MODEL_SIZE; do
		"$HUBEL" objective -model "$MODEL" -backend "$EVAL_BACKEND" -size "$sz" -image grey "${args[@]}" -json >"$OUT/$kind.grey.$sz.json"
	done
	i=0
	for s in $(specs "$kind"); do
		for sz in $SIZE $MODEL_SIZE; do
			"$HUBEL" objective -model "$MODEL" -backend "$EVAL_BACKEND" -size "$sz" -image "$OUT/$kind/$i.png" -objective "$s" -json >"$OUT/$kind/$i.$sz.json"
		done
		i=$((i + 1))
	done ;;
esac
done
done

case " $STAGES " in *" evaluate "* | *" summary "*)
python3 - "$OUT" "$GRID" "$SIZE" "$MODEL_SIZE" $LAYERS >"$OUT/summary.md" <<'PY'
import json, math, statistics, sys
out, grid, size, msize, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
CAP = 6.0  # ReLU6 caps every activation, so a channel mean is at most 6
def ratio(a, b):
    return a / b if b > 0 else math.inf
def fmt(r):
    return '∞' if r == math.inf else f'{r:.2f}×'
for kind in kinds:
    render = json.load(open(f'{out}/{kind}.json'))
    grey = {sz: [o['value'] for o in json.load(open(f'{out}/{kind}.grey.{sz}.json'))['objectives']] for sz in (grid, size, msize)}
    specs = [o['spec'] for o in json.load(open(f'{out}/{kind}.grey.{grid}.json'))['objectives']]
    rows = []
    for i, spec in enumerate(specs):
        clean = {sz: json.load(open(f'{out}/{kind}/{i}.{sz}.json'))['objectives'][0]['value'] for sz in (size, msize)}
        rows.append(dict(spec=spec, g=grey[grid][i], t=render['objective'][i][-1], gs=grey[size][i], cs=clean[size], gm=grey[msize][i], cm=clean[msize]))
    steps = len(render['objective'][0])
    print(f"### {kind}: {len(rows)} channels, {steps} steps, {render['steps_per_sec']:.3f} steps/s (batch {len(rows)}), {render['adapter']}\n")
    print(f'A: final objective under the transforms (last step of the history; network at {grid} px) / grey at {grid} px. '
          f'B: final {size} px PNG evaluated cleanly at {size} px / grey at {size} px. '
          f'C: the PNG resized to {msize} px / grey at {msize} px.' + (f' Bound: {CAP:g} / grey at {grid} px (ReLU6).' if kind == 'relu' else '') + '\n')
    head = f'| channel | grey@{grid} | final (transforms) | A | grey@{size} | clean@{size} | B | grey@{msize} | clean@{msize} | C |' + (' bound |' if kind == 'relu' else '')
    print(head)
    print('|---' * (head.count('|') - 1) + '|')
    for r in rows:
        line = f"| {r['spec']} | {r['g']:.3f} | {r['t']:.3f} | {fmt(ratio(r['t'], r['g']))} | {r['gs']:.3f} | {r['cs']:.3f} | {fmt(ratio(r['cs'], r['gs']))} | {r['gm']:.3f} | {r['cm']:.3f} | {fmt(ratio(r['cm'], r['gm']))} |"
        if kind == 'relu':
            line += f" {fmt(ratio(CAP, r['g']))} |"
        print(line)
    m = {k: statistics.fmean(r[k] for r in rows) for k in ('g', 't', 'gs', 'cs', 'gm', 'cm')}
    line = f"| **mean** (ratio of means) | {m['g']:.3f} | {m['t']:.3f} | **{fmt(ratio(m['t'], m['g']))}** | {m['gs']:.3f} | {m['cs']:.3f} | **{fmt(ratio(m['cs'], m['gs']))}** | {m['gm']:.3f} | {m['cm']:.3f} | **{fmt(ratio(m['cm'], m['gm']))}** |"
    if kind == 'relu':
        line += f" {fmt(ratio(CAP, m['g']))} |"
    print(line)
    med = lambda a, b: statistics.median(ratio(r[a], r[b]) for r in rows)
    line = f"| **median of per-channel ratios** | | | **{fmt(med('t', 'g'))}** | | | **{fmt(med('cs', 'gs'))}** | | | **{fmt(med('cm', 'gm'))}** |"
    if kind == 'relu':
        line += f" {fmt(statistics.median(ratio(CAP, r['g']) for r in rows))} |"
    print(line)
    print()
    if kind == 'relu':
        reach = sum(1 for r in rows if ratio(CAP, r['g']) >= 10)
        print(f"ReLU6 bound: 6 / grey ≥ 10 for {reach} of {len(rows)} channels; the ratio of means can be at most 6 / {m['g']:.3f} = {fmt(ratio(CAP, m['g']))}.\n")
    neg = sum(1 for r in rows if r['g'] <= 0)
    if neg:
        print(f"{neg} of {len(rows)} channels are ≤ 0 on grey at {grid} px: their ratio is ∞ (grey = 0) or meaningless (grey < 0); for those the difference final − grey is the measure.\n")
    diff = statistics.fmean(r['t'] - r['g'] for r in rows)
    print(f"Mean rise under the transforms (final − grey@{grid}): {diff:.3f}.\n")
PY
cat "$OUT/summary.md" ;;
esac

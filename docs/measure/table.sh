#!/usr/bin/env bash
# The survey's Table (Nguyen, Yosinski, Clune, Table in Sec. 4.2), measured:
# 10 ImageNet classes drawn at random (seeded), each rendered for 192 steps at
# 224 px with Lucid's defaults otherwise (FFT, decay 1, colour decorrelation,
# Lucid transforms, Adam 0.05, 16 redirected steps) through the logit, the softmax
# and the log-softmax of the class; every final PNG classified by
# `hubel predict`. One batch of 10 per variant, same render seed, so the three
# variants of a class start from the same spectrum and see the same transforms.
#
#   docs/measure/table.sh [OUTDIR]      (default artifacts/table)
#
# Env: MODEL (default shared/models/mobilenet_v1_0.75_224 in ../shared or
# ../../shared of the repo root), CLASS_SEED (1), SEED (1), STEPS (192),
# SIZE (224), STAGES ("render classify figure"), EVAL_BACKEND (cpu: `hubel
# predict` on gpu/ref, float64). Writes OUTDIR/{logit,softmax,logsoftmax}/{0..9}.png, the
# render JSON, the predictions, OUTDIR/summary.md and OUTDIR/table.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/table}
if [ -z "${MODEL:-}" ]; then
	for d in ../shared ../../shared; do [ -d "$d/models" ] && MODEL=$(cd "$d" && pwd)/models/mobilenet_v1_0.75_224 && break; done
fi
CLASS_SEED=${CLASS_SEED:-1}
SEED=${SEED:-1}
STEPS=${STEPS:-192}
SIZE=${SIZE:-224}
STAGES=${STAGES:-render classify figure}
VARIANTS=${VARIANTS:-logit softmax logsoftmax}
EVAL_BACKEND=${EVAL_BACKEND:-cpu}
mkdir -p "$OUT"
HUBEL=${HUBEL:-$OUT/hubel}
[ -n "${HUBEL_PREBUILT:-}" ] || go build -o "$HUBEL" ./cmd/hubel

# The draw: Python's random.Random(seed).sample, stable across CPython 3.x.
CLASSES=$(python3 -c "import random; print(*random.Random($CLASS_SEED).sample(range(1000), 10))")
echo "classes (seed $CLASS_SEED): $CLASSES" | tee "$OUT/classes.txt"

summary() {
python3 - "$OUT" "$MODEL" $CLASSES >"$OUT/summary.md" <<'PY'
import json, math, statistics, sys
out, model, classes = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3:]]
labels = [l.split(' ', 1)[1].strip().split(',')[0] for l in open(model + '/../../labels/imagenet_synset_words.txt')]
variants = ['logit', 'softmax', 'logsoftmax']
rows, hits = {}, {}
for v in variants:
    hist = json.load(open(f'{out}/{v}.json'))
    rows[v], hits[v] = [], 0
    for i, c in enumerate(classes):
        p = json.load(open(f'{out}/{v}/{i}.predict.json'))
        lg = p['logits']; m = max(lg); z = sum(math.exp(x - m) for x in lg)
        prob = math.exp(lg[c] - m) / z
        top = p['top5'][0]
        ok = top['index'] == c
        hits[v] += ok
        rows[v].append((c, ok, prob, top['index'], top['prob'], hist['objective'][i][-1]))
    print(f"{v}: top-1 = target for {hits[v]}/{len(classes)}; adapter {hist['adapter']}; {hist['steps_per_sec']:.3f} steps/s (batch {len(classes)})", file=sys.stderr)
print('| class | ' + ' | '.join(f'{v}: p(target), top-1' for v in variants) + ' |')
print('|---|' + '---|' * len(variants))
for i, c in enumerate(classes):
    cells = []
    for v in variants:
        _, ok, prob, ti, tp, _ = rows[v][i]
        cells.append(f"{'**' if ok else ''}{prob:.3f}{'**' if ok else ''}, {'✓' if ok else labels[ti] + f' ({tp:.2f})'}")
    print(f'| {c} {labels[c]} | ' + ' | '.join(cells) + ' |')
print('| **top-1 = target** | ' + ' | '.join(f'**{hits[v]}/{len(classes)}**' for v in variants) + ' |')
print('| mean p(target) | ' + ' | '.join(f'{sum(r[2] for r in rows[v]) / len(classes):.3f}' for v in variants) + ' |')
print('| median p(target) | ' + ' | '.join(f'{statistics.median(r[2] for r in rows[v]):.3f}' for v in variants) + ' |')
print('| final objective under transforms (mean) | ' + ' | '.join(f'{sum(r[5] for r in rows[v]) / len(classes):.3f}' for v in variants) + ' |')
PY
cat "$OUT/summary.md"
}

for stage in $STAGES; do
case $stage in
render)
	for v in $VARIANTS; do
		args=()
		for c in $CLASSES; do args+=(-objective "$v:$c"); done
		echo "$(date -u +%T) render $v"
		"$HUBEL" render -model "$MODEL" "${args[@]}" -steps "$STEPS" -size "$SIZE" -seed "$SEED" \
			-param fft -transforms lucid -lr 0.05 -out-dir "$OUT/$v" -json >"$OUT/$v.json"
	done ;;
classify)
	for v in $VARIANTS; do
		i=0
		for c in $CLASSES; do
			"$HUBEL" predict -model "$MODEL" -backend "$EVAL_BACKEND" -image "$OUT/$v/$i.png" -json >"$OUT/$v/$i.predict.json"
			i=$((i + 1))
		done
	done
	summary ;;
summary)
	summary ;;
figure)
	files=()
	for v in $VARIANTS; do for i in $(seq 0 9); do files+=("$OUT/$v/$i.png"); done; done
	"$HUBEL" montage -cols 10 -out "$OUT/table.png" "${files[@]}" ;;
esac
done

#!/bin/sh
# DGN-AM and PPGN on the bundled MNIST and Fashion-MNIST classifiers
# (issue #5): trains each classifier's generator and prior if asked, then
# measures, per class, agreement of the classifier and an independent judge
# (p ≥ 0.9 under both) on DGN-AM images and PPGN samples, the diversity
# ratio of PPGN's samples to DGN-AM's restarts, and draws pixel AM / DGN-AM
# / PPGN for every class. Results: docs/dgn-ppgn.md; images:
# docs/img/dgn_ppgn_{mnist,fashion}.png.
#
#   sh docs/measure/dgn.sh            # measure with the shipped generators
#   TRAIN=1 sh docs/measure/dgn.sh    # retrain generator/ and dae/ first
set -eu
cd "$(dirname "$0")/../.."
mkdir -p artifacts/dgn docs/img
go build -o artifacts/dgn/hubel ./cmd/hubel
H=artifacts/dgn/hubel
# The settings of docs/dgn-ppgn.md (the same for both datasets): DGN-AM run
# to convergence (300 steps), PPGN chains with ε 0.1/5/0.7 from the mean
# code, shifting G(h) by up to 2 px, a sample every 120 steps after 300,
# each drawn after 30 steps of the class term alone from a copy of the chain,
# the class term's step capped at the codes' spread (-class-step-max 1), the
# refinement's last 5 steps unshifted (-refine-unshifted 5);
# -dataset adds the same figures measured on real test images.
# DGN-AM's L2 weight on h is 0.3 on MNIST and 0.1 on Fashion-MNIST, whose
# codes are about half as large (mean norm 13.8 against 24.9): at 0.3 its coat
# and shirt restarts stop between classes (91/100 at p ≥ 0.9 under both).
for ds in mnist fashion; do
	decay=0.3
	[ $ds = fashion ] && decay=0.1
	if [ "${TRAIN:-0}" = 1 ]; then
		nice -n 10 $H train-generator -model models/bundled/$ds -dataset $ds -seed 1 >artifacts/dgn/train_$ds.json
	fi
	nice -n ${NICE:-10} $H measure-dgn -model models/bundled/$ds -judge models/bundled/${ds}_judge -dataset $ds -seed 1 ${CACHE:+-cache $CACHE/$ds} \
		-decay $decay -dgn-steps 300 -eps1 0.1 -eps2 5 -eps3 0.7 -refine 30 -burn 300 -every 120 \
		-png docs/img/dgn_ppgn_$ds.png >artifacts/dgn/measure_$ds.json
	echo "$ds: $(head -c 600 artifacts/dgn/measure_$ds.json)"
done

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
# The shipped Fashion-MNIST generator and its measurement used shorter runs
# (session time): these are the settings that made docs/dgn-ppgn.md.
for ds in mnist fashion; do
	train="" measure=""
	if [ $ds = fashion ]; then
		train="-images 10000 -gen-steps 250 -dae-steps 1000"
		measure="-dgn-steps 100 -every 40 -pixel-steps 100"
	fi
	if [ "${TRAIN:-0}" = 1 ]; then
		nice -n 10 $H train-generator -model models/bundled/$ds -dataset $ds -seed 1 $train >artifacts/dgn/train_$ds.json
	fi
	nice -n 10 $H measure-dgn -model models/bundled/$ds -judge models/bundled/${ds}_judge -seed 1 $measure \
		-png docs/img/dgn_ppgn_$ds.png >artifacts/dgn/measure_$ds.json
	echo "$ds: $(head -c 600 artifacts/dgn/measure_$ds.json)"
done

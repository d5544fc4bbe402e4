#!/usr/bin/env bash
# Builds hubel's static site into site/, and serves or tests it.
#
#   ./build.sh                  build site/ (hubel.wasm, display.wasm, selftest.wasm, each with its .gz; wasm_exec.js;
#                               bench.wasm and TF.js for site/bench.html)
#   ./build.sh serve            build, then serve site/ on http://127.0.0.1:8080
#   ./build.sh test             go test ./... (and ./wasm/page under Node), then the browser tests (headless Chromium);
#                               the site gets ../shared/models unless -models says otherwise
#   ./build.sh -models DIR ...  also copy each model folder in DIR (or DIR itself, if it
#                               holds a model.json) into site/models/, its weights in files of up to 64 MiB
#
# Bundled models (folders under models/ or models/bundled/ holding a model.json) are always copied into
# site/models/, and site/models/index.json lists what is there.
#
# Environment: ADDR (serve) overrides the listen address.
set -euo pipefail
cd "$(dirname "$0")"

models=""
cmd=build
while [ $# -gt 0 ]; do
	case "$1" in
	-models | --models)
		[ $# -ge 2 ] || { echo "build.sh: -models needs a folder" >&2; exit 2; }
		models="$2"
		shift 2
		;;
	build | serve | test)
		cmd="$1"
		shift
		;;
	-h | --help | help)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "build.sh: unknown argument '$1' (try ./build.sh -h)" >&2
		exit 2
		;;
	esac
done

build() {
	local goroot wasm_exec
	goroot="$(go env GOROOT)"
	wasm_exec="$goroot/lib/wasm/wasm_exec.js" # Go 1.24 and later
	[ -f "$wasm_exec" ] || wasm_exec="$goroot/misc/wasm/wasm_exec.js"
	[ -f "$wasm_exec" ] || { echo "build.sh: wasm_exec.js not found under $goroot" >&2; exit 1; }

	# The app's page runs two programs: the engine (hubel.wasm) and,
	# once it has shown its first image, the ebiten display (display.wasm);
	# the kernel self-test page its own (selftest.wasm).
	build_wasm ./wasm hubel
	build_wasm ./wasm/display display
	build_wasm ./wasm/selftestpage selftest
	cp "$wasm_exec" site/wasm_exec.js
	build_bench

	# The bundled models (trained by hubel train) go into every build.
	mkdir -p site/models
	for m in models/bundled/*/; do
		[ -f "$m/model.json" ] || continue
		rm -rf "site/models/$(basename "$m")"
		cp -R "${m%/}" "site/models/$(basename "$m")"
	done
	if [ -n "$models" ]; then
		[ -d "$models" ] || { echo "build.sh: -models: '$models' is not a folder" >&2; exit 1; }
		mkdir -p site/models
		# The site's copy has its weights in files of up to 64 MiB (hubel
		# reshard): a page fetches one file instead of MobileNet's 55, which
		# measured faster than 3 files of 4 MiB (docs/speed.md).
		local n=0 m dirs=("$models"/*/) hubel="${TMPDIR:-/tmp}/hubel-build.$$"
		[ -f "$models/model.json" ] && dirs=("$models") # DIR is itself one model
		go build -o "$hubel" ./cmd/hubel
		for m in "${dirs[@]}"; do
			m="${m%/}"
			[ -f "$m/model.json" ] || continue
			rm -rf "site/models/$(basename "$m")"
			"$hubel" reshard -max-bytes $((64 << 20)) -model "$m" -out "site/models/$(basename "$m")" || { rm -f "$hubel"; exit 1; }
			n=$((n + 1))
		done
		rm -f "$hubel"
		echo "build.sh: copied $n model folder(s) from $models into site/models/, weights resharded"
	fi
	local m names=()
	for m in models/*/ models/bundled/*/; do
		[ -f "$m/model.json" ] || continue
		mkdir -p site/models
		rm -rf "site/models/$(basename "$m")"
		cp -R "${m%/}" "site/models/$(basename "$m")"
	done
	mkdir -p site/models
	for m in site/models/*/; do
		[ -f "$m/model.json" ] && names+=("\"$(basename "$m")\"")
	done
	(
		IFS=,
		echo "[${names[*]}]"
	) >site/models/index.json
	echo "build.sh: the app's wasm (hubel.wasm + display.wasm), gzipped: $(($(wc -c <site/hubel.wasm.gz) + $(wc -c <site/display.wasm.gz))) bytes"
}

# build_bench builds the benchmark page's own wasm (site/bench.wasm, kept
# out of the main app) and copies the pinned TF.js bundles it compares with
# (npm ci --prefix test/bench) into site/bench/, when installed.
build_bench() {
	local tfjs=test/bench/node_modules/@tensorflow
	build_wasm ./wasm/bench bench
	rm -rf site/bench
	if [ -f "$tfjs/tfjs/dist/tf.min.js" ] && [ -f "$tfjs/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js" ]; then
		mkdir -p site/bench
		cp "$tfjs/tfjs/dist/tf.min.js" "$tfjs/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js" site/bench/
	else
		echo "build.sh: TF.js is not installed (npm ci --prefix test/bench): site/bench.html will run hubel alone and say so"
	fi
}

# build_wasm PKG NAME builds the Go program PKG to site/NAME.wasm and its
# gzipped copy. The wasm's name section (Go's function names, 4 % of its
# size) is left out unless HUBEL_WASM_NAMES=1, which the CPU profiles of
# test/browser/profile.mjs need.
build_wasm() {
	local out="site/$2.wasm" ldflags="-s -w"
	[ "${HUBEL_WASM_NAMES:-}" = 1 ] && ldflags=""
	echo "build.sh: GOOS=js GOARCH=wasm go build -ldflags='$ldflags' -o $out $1"
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="$ldflags" -o "$out.tmp" "$1"
	mv "$out.tmp" "$out"
	gzip -9 -n -c "$out" >"$out.gz.tmp"
	mv "$out.gz.tmp" "$out.gz"
	echo "build.sh: $out $(wc -c <"$out") bytes, gzipped $(wc -c <"$out.gz") bytes"
}

# browser_test serves site/ on a free port and runs the headless Chromium
# self-test against it.
browser_test() {
	local log pid url=""
	if [ ! -d test/browser/node_modules/playwright-core ]; then
		echo "build.sh: npm ci --prefix test/browser"
		npm ci --prefix test/browser --no-audit --no-fund --loglevel=error
	fi
	go build -o "${TMPDIR:-/tmp}/hubel-serve.$$" ./cmd/hubel
	log="$(mktemp)"
	"${TMPDIR:-/tmp}/hubel-serve.$$" serve -dir site -addr 127.0.0.1:0 >"$log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # expand now: the trap runs after locals are gone
	trap "kill $pid 2>/dev/null; rm -f '$log' '${TMPDIR:-/tmp}/hubel-serve.$$'" EXIT
	for _ in $(seq 100); do
		url="$(grep -o 'http://[^ ]*' "$log" || true)"
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$url" ] || { echo "build.sh: server did not start" >&2; cat "$log" >&2; exit 1; }
	echo "build.sh: browser tests against $url"
	node test/browser/selftest.mjs "${url}selftest.html"
	node test/browser/bench.mjs "$url"
	node test/browser/site.mjs "$url"
}

case "$cmd" in
build)
	build
	;;
serve)
	build
	exec go run ./cmd/hubel serve -dir site -addr "${ADDR:-127.0.0.1:8080}"
	;;
test)
	# The model tests compare with TF.js (test/tfjs, pure-JS CPU backend).
	[ -d test/tfjs/node_modules/@tensorflow/tfjs ] || npm ci --prefix test/tfjs --no-audit --no-fund --loglevel=error
	# The benchmark page's TF.js bundles, and MobileNet for its browser test.
	[ -d test/bench/node_modules/@tensorflow/tfjs ] || npm ci --prefix test/bench --no-audit --no-fund --loglevel=error
	if [ -z "$models" ] && [ -d ../shared/models ]; then models=../shared/models; fi
	echo "build.sh: go test ./..."
	go test ./...
	# The browser-only packages' tests, under Node (Go's go_js_wasm_exec).
	exec_js="$(go env GOROOT)/lib/wasm/go_js_wasm_exec"
	[ -x "$exec_js" ] || exec_js="$(go env GOROOT)/misc/wasm/go_js_wasm_exec"
	echo "build.sh: GOOS=js GOARCH=wasm go test ./wasm/page"
	GOOS=js GOARCH=wasm go test -exec "$exec_js" ./wasm/page
	build
	browser_test
	;;
esac

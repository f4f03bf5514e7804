# Shared by scripts/dev, scripts/test and scripts/openapi (sourced, not run).
# shellcheck shell=bash

KEHOU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$KEHOU_ROOT/.venv"
STAMP="$VENV/.kehou-deps-stamp"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

pick_python() {
    local py
    for py in python3.11 python3.12 python3.13 python3; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    echo "error: Kehou needs Python >= 3.11 (python3.11 or python3 on PATH)" >&2
    return 1
}

deps_fingerprint() {
    # Reinstall when pyproject.toml changes (or the venv's Python does).
    { cat "$KEHOU_ROOT/pyproject.toml"; "$VENV/bin/python" -V; } | sha256sum | cut -d' ' -f1
}

# Create .venv when missing and install the project (editable, with dev extras) when
# pyproject.toml changed since the last install. Puts the venv first on PATH.
ensure_venv() {
    if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
        local py
        py="$(pick_python)"
        say "creating .venv with $py"
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
    fi
    (
        # One installer at a time when scripts/dev and scripts/test start together.
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$VENV/.install.lock"
            flock 9
        fi
        if [[ "$(cat "$STAMP" 2>/dev/null)" != "$(deps_fingerprint)" ]]; then
            say "installing dependencies into .venv (pyproject.toml changed)"
            "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
                -e "$KEHOU_ROOT[dev]"
            deps_fingerprint >"$STAMP"
        fi
    )
    export PATH="$VENV/bin:$PATH"
    export VIRTUAL_ENV="$VENV"
    cd "$KEHOU_ROOT"
}

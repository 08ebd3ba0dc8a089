#!/usr/bin/env bash
# Set-up for the dashboard capability (`blocklab ui`, `blocklab report`, `bench ui`):
# idempotent, quick when already installed.
#  - libjs-dygraphs: the chart library the pages and reports draw with (served from
#    /usr/share/javascript/dygraphs/, inlined into reports).
#  - chromium and chromium-driver: Debian's browser and its matching WebDriver, which the
#    browser tests and `blocklab bench ui` drive headless.
#  - .venv-browser: Selenium (pinned) for scripts/browser/driver.py.
# The last line prints `export BLOCKLAB_BROWSER_PYTHON=...` for scripts/test.sh to eval.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in libjs-dygraphs chromium chromium-driver python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "dashboard set-up: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

venv=.venv-browser
if ! "$venv/bin/python" -c "import selenium; assert selenium.__version__ == '4.50.0'" 2>/dev/null; then
    echo "dashboard set-up: creating $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "selenium==4.50.0" >&2
fi
echo "export BLOCKLAB_BROWSER_PYTHON=$(pwd)/$venv/bin/python"

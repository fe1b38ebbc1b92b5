#!/usr/bin/env bash
# Takes a screenshot of the HTML report with headless Chromium (offline:
# the page inlines Chart.js). Usage, from anywhere:
#   bench/render.sh [HTML] [PNG] [WIDTH,HEIGHT]
# Defaults: results/results.html -> results/report.png at 1400,3400 (paths
# relative to bench/). Needs Debian's chromium: apt-get install -y chromium
set -euo pipefail
cd "$(dirname "$0")"
html=$(realpath "${1:-results/results.html}")
png=$(realpath -m "${2:-results/report.png}")
size=${3:-1400,3400}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
	echo "render.sh: no chromium found (apt-get install -y chromium)" >&2
	exit 2
fi
[ -f "$html" ] || { echo "render.sh: $html not found (run: go run ./cmd/velabench)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --hide-scrollbars --virtual-time-budget=10000 \
	--window-size="$size" --screenshot="$png" "file://$html" 2>"$profile/chromium.log" || {
	cat "$profile/chromium.log" >&2
	exit 1
}
[ -s "$png" ] || { echo "render.sh: no screenshot written" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "wrote $png"

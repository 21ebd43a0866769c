#!/usr/bin/env bash
# chromium.sh [COMMAND...]: headless Chromium for the browser test of the
# published site (internal/cli TestPublishBrowser).
#
# Finds a Chromium binary (chromium, chromium-browser), else installs
# Debian's chromium package (as root, through apt-get). Without COMMAND it
# prints the binary's path, or fails saying why. With COMMAND it runs
# COMMAND with the path in METABENCH_CHROMIUM; when no Chromium can be had,
# COMMAND still runs, with the reason in METABENCH_CHROMIUM_MISSING (the
# browser test then skips, saying why), unless CI=true, where that is a
# failure. METABENCH_CHROMIUM already set: COMMAND runs with that binary.
set -euo pipefail

if [ "$#" -gt 0 ] && [ -n "${METABENCH_CHROMIUM:-}" ]; then
	exec "$@"
fi

find_chromium() {
	local c
	for c in chromium chromium-browser; do
		if command -v "$c" >/dev/null 2>&1 && "$(command -v "$c")" --version >/dev/null 2>&1; then
			command -v "$c"
			return 0
		fi
	done
	return 1
}

missing() {
	echo "chromium: $1" >&2
	if [ "$#" -eq 1 ]; then
		exit 1
	fi
	shift
	if [ "${CI:-}" = true ]; then
		echo "chromium: CI=true needs Chromium for the browser test; failing" >&2
		exit 1
	fi
	echo "chromium: running without it; the browser test will skip" >&2
	export METABENCH_CHROMIUM_MISSING="$1"
	shift
	exec "$@"
}

bin=$(find_chromium || true)
if [ -z "$bin" ]; then
	why=""
	if [ "$(id -u)" -ne 0 ]; then
		why="no chromium on PATH and not root to install it"
	elif ! command -v apt-get >/dev/null 2>&1; then
		why="no chromium on PATH and no apt-get to install it"
	else
		echo "chromium: installing Debian's chromium package" >&2
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y -q chromium >/dev/null 2>&1; then
			apt-get update -q >/dev/null 2>&1 || true
			apt-get install -y -q chromium >/dev/null 2>&1 || why="apt-get install chromium failed"
		fi
		if [ -z "$why" ]; then
			bin=$(find_chromium || true)
			[ -n "$bin" ] || why="chromium installed but it does not run"
		fi
	fi
	if [ -z "$bin" ]; then
		if [ "$#" -eq 0 ]; then
			missing "$why"
		fi
		missing "$why" "$why" "$@"
	fi
fi

if [ "$#" -eq 0 ]; then
	echo "$bin"
	exit 0
fi
export METABENCH_CHROMIUM="$bin"
echo "chromium: $("$bin" --version 2>/dev/null | head -n 1) at $bin" >&2
exec "$@"

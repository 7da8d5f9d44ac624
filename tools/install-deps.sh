#!/bin/sh
# Install the Debian 12 packages tracer needs to build, test, fuzz and benchmark
# (libclang-rt-14-dev: clang's libFuzzer and sanitizer runtimes, make fuzz;
# libdebuginfod1: loaded when DEBUGINFOD_URLS is set, libdebuginfod-dev: its
# header; debuginfod, pypy3, man-db, zsh: the tests of those (pypy3: refused
# clearly), of the man page and of the completion; golang-go: go tool pprof
# reads the .pprof; libxml2-utils: xmllint checks the Cobertura XML against
# its DTD; tmux: the terminal tests of top and the status line;
# python3-gevent, python3-greenlet: the greenlet tests).
# Run as root. Idempotent.
set -eu
PKGS="make gcc clang libclang-rt-14-dev llvm libbpf-dev bpftool libelf-dev zlib1g-dev libdw-dev libcapstone-dev libzip-dev
      libdebuginfod1 libdebuginfod-dev debuginfod pypy3
      python3 python3-pytest gdb binutils bpftrace
      protobuf-compiler chromium lcov python3-coverage man-db groff-base zsh tmux
      golang-go libxml2-utils python3-gevent python3-greenlet"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
# the output formats' real consumers (tests/e2e/node): speedscope's
# importers and Playwright driving Debian's Chromium; the machine's Node.js
# and npm where present, Debian's otherwise
if ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends nodejs npm
fi
dir=$(dirname "$0")/../tests/e2e/node
if [ ! -d "$dir/node_modules/speedscope" ] || [ ! -d "$dir/node_modules/playwright-core" ]; then
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

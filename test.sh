#!/usr/bin/env bash
# Runs profilec's whole test suite. As root it first installs, only when
# missing, the Debian packages the tests use: libseccomp for the
# differential tests, runc, bubblewrap and busybox for side-by-side tests.
# Under CI=true no test may skip for a missing privilege, feature or package.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

packages=(gcc libseccomp-dev python3-seccomp seccomp runc bubblewrap busybox-static)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [ "$(id -u)" = 0 ]; then
		echo "test.sh: installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "test.sh: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
		if [ "${CI:-}" = true ]; then exit 1; fi
	fi
fi

echo "test.sh: gofmt, go vet, static build"
# Tracked files that exist: a clone's own, not a developer's scratch.
unformatted=$(git ls-files -z '*.go' | xargs -0 -r sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
CGO_ENABLED=0 go build -o /dev/null ./cmd/profilec
# The enforcer spells out its kernel structures and calls per
# architecture (enforcer/internal/sys): a 32-bit one and the other
# 64-bit one must build too.
for arch in 386 arm64; do
	GOARCH=$arch CGO_ENABLED=0 go build ./enforcer/...
done

echo "test.sh: go test"
go test -timeout 30m "$@" ./...

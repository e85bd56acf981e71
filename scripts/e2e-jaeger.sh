#!/usr/bin/env bash
# e2e-jaeger.sh: end-to-end check of the export helpers against a real Jaeger v2.
# (Work in progress: build stage only.)
set -euo pipefail

JAEGER_VERSION=v1.76.0
CACHE_DIR="${TRACEKIT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracekit-e2e}"
BUILD_DIR="$CACHE_DIR/jaeger-$JAEGER_VERSION"
JAEGER_BIN="$BUILD_DIR/bin/jaeger"

log() { printf '[e2e] %s\n' "$*" >&2; }

build_jaeger() {
	if [[ -x "$JAEGER_BIN" ]]; then
		log "jaeger $JAEGER_VERSION cached at $JAEGER_BIN"
		return
	fi
	log "building jaeger $JAEGER_VERSION into $BUILD_DIR (slow: ~5+ min, ~2.3 GB RSS)"
	mkdir -p "$BUILD_DIR"
	(
		cd "$BUILD_DIR"
		cat > go.mod <<GOMOD
module jaegerbuild

go 1.26

require github.com/jaegertracing/jaeger $JAEGER_VERSION

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
GOMOD
		printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/jaegertracing/jaeger/cmd/jaeger"\n' > tools.go
		GOFLAGS=-mod=mod go mod download "github.com/jaegertracing/jaeger@$JAEGER_VERSION"
		cat "$(go env GOMODCACHE)/github.com/jaegertracing/jaeger@$JAEGER_VERSION/go.sum" > go.sum
		go mod tidy
		go build -o bin/jaeger.tmp github.com/jaegertracing/jaeger/cmd/jaeger
		mv bin/jaeger.tmp bin/jaeger
	)
	log "built $JAEGER_BIN"
}

build_jaeger

#!/usr/bin/env bash
# e2e-jaeger.sh: end-to-end check of the export helpers against a real
# Jaeger v2.
#
# It builds Jaeger (once) into a cache folder outside the repository, starts
# it on the loopback interface only, runs the examples against it over OTLP
# gRPC and OTLP HTTP (configured by the standard OTEL_* variables, and by
# coralogix.Setup with CX_ENDPOINT pointing at Jaeger), reads the spans back
# through Jaeger's query API, checks the gen_ai attributes, and stops Jaeger
# by its PID.
#
# Not part of .ci/run: the first build takes 5+ minutes and ~2.3 GB of RAM.
#
#   scripts/e2e-jaeger.sh            # build if needed, run, check
#   scripts/e2e-jaeger.sh --build    # only build Jaeger
#
# Environment: TRACEKIT_E2E_CACHE (default ~/.cache/tracekit-e2e).
set -euo pipefail

JAEGER_VERSION=v1.76.0
CACHE_DIR="${TRACEKIT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracekit-e2e}"
BUILD_DIR="$CACHE_DIR/jaeger-$JAEGER_VERSION"
JAEGER_BIN="$BUILD_DIR/bin/jaeger"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUERY=http://127.0.0.1:16686

log() { printf '[e2e] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

build_jaeger() {
	if [[ -x "$JAEGER_BIN" ]]; then
		log "jaeger $JAEGER_VERSION cached at $JAEGER_BIN"
		return
	fi
	log "building jaeger $JAEGER_VERSION into $BUILD_DIR (slow: ~5+ min, ~2.3 GB RSS)"
	mkdir -p "$BUILD_DIR"
	(
		cd "$BUILD_DIR"
		# Jaeger's go.mod has a replace, so `go install pkg@version` is
		# refused: build it from a wrapper module instead.
		cat > go.mod <<GOMOD
module jaegerbuild

go 1.26

require github.com/jaegertracing/jaeger $JAEGER_VERSION

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
GOMOD
		printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/jaegertracing/jaeger/cmd/jaeger"\n' > tools.go
		GOFLAGS=-mod=mod go mod download "github.com/jaegertracing/jaeger@$JAEGER_VERSION"
		# Seed go.sum from Jaeger's own: the sum database is not reachable
		# for many of these modules through this proxy.
		cat "$(go env GOMODCACHE)/github.com/jaegertracing/jaeger@$JAEGER_VERSION/go.sum" > go.sum
		go mod tidy
		go build -o bin/jaeger.tmp github.com/jaegertracing/jaeger/cmd/jaeger
		mv bin/jaeger.tmp bin/jaeger
	)
	log "built $JAEGER_BIN"
}

build_jaeger
[[ "${1:-}" == "--build" ]] && exit 0

for port in 4317 4318 16685 16686; do
	if ss -ltn | awk '{print $4}' | grep -qE "[:.]$port\$"; then
		die "port $port is already in use; stop whatever listens there first"
	fi
done

WORK="$(mktemp -d)"
JPID=""
cleanup() {
	if [[ -n "$JPID" ]] && kill -0 "$JPID" 2>/dev/null; then
		kill "$JPID"
		wait "$JPID" 2>/dev/null || true
		log "jaeger (pid $JPID) stopped"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# Loopback only, no self-tracing, in-memory storage, traces pipeline only.
cat > "$WORK/jaeger.yaml" <<'YAML'
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter]}
  telemetry: {metrics: {level: none}, logs: {level: warn}}
extensions:
  jaeger_storage: {backends: {mem: {memory: {max_traces: 10000}}}}
  jaeger_query:
    enable_tracing: false
    storage: {traces: mem}
    http: {endpoint: 127.0.0.1:16686}
    grpc: {endpoint: 127.0.0.1:16685}
receivers:
  otlp: {protocols: {grpc: {endpoint: 127.0.0.1:4317}, http: {endpoint: 127.0.0.1:4318}}}
processors:
  batch: {timeout: 100ms}
exporters:
  jaeger_storage_exporter: {trace_storage: mem}
YAML

"$JAEGER_BIN" --config "$WORK/jaeger.yaml" > "$WORK/jaeger.log" 2>&1 &
JPID=$!
log "jaeger started (pid $JPID)"
for _ in $(seq 1 100); do
	curl -sf "$QUERY/api/services" > /dev/null && break
	kill -0 "$JPID" 2>/dev/null || { cat "$WORK/jaeger.log" >&2; die "jaeger exited"; }
	sleep 0.1
done
curl -sf "$QUERY/api/services" > /dev/null || die "jaeger not ready after 10s"
listeners="$(ss -ltnp 2>/dev/null | grep "pid=$JPID," | awk '{print $4}' | sort | tr '\n' ' ')"
log "jaeger listens on: $listeners"
if grep -v '^127\.0\.0\.1:' <<< "${listeners// /$'\n'}" | grep -q .; then
	die "jaeger listens beyond loopback: $listeners"
fi

log "building the examples"
(cd "$REPO" && go build -o "$WORK/otlp" ./examples/otlp && go build -o "$WORK/quickstart" ./examples/quickstart \
	&& go build -o "$WORK/coralogix" ./examples/coralogix)

# The checks of one trace, in Python for readable JSON handling.
cat > "$WORK/check.py" <<'PY'
import json, sys
service, trace, want_chat, content = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "yes"
want_bedrock = len(sys.argv) > 5 and sys.argv[5] == "bedrock"
doc = json.load(sys.stdin)
tr = doc["data"][0]
procs = tr["processes"]
spans = tr["spans"]
chats = [s for s in spans if s["operationName"].startswith("chat ")]
errors = []
def tags(s): return {t["key"]: t["value"] for t in s["tags"]}
svc = {procs[s["processID"]]["serviceName"] for s in spans}
if svc != {service}: errors.append(f"service names {svc}, want {service}")
if len(chats) < want_chat: errors.append(f"{len(chats)} chat spans, want {want_chat}")
for s in chats:
    t = tags(s)
    want = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "span.kind": "client"}
    for k, v in want.items():
        if t.get(k) != v: errors.append(f"{s['operationName']}: {k}={t.get(k)!r}, want {v!r}")
    for k in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons", "gen_ai.prompt.0.role", "gen_ai.completion.0.role"):
        if k not in t: errors.append(f"{s['operationName']}: {k} missing")
    has_content = "gen_ai.completion.0.content" in t
    if has_content != content: errors.append(f"{s['operationName']}: completion content present={has_content}, want {content}")
if want_chat >= 2 and not any("gen_ai.response.time_to_first_chunk" in tags(s) for s in chats):
    errors.append("no streamed chat span with gen_ai.response.time_to_first_chunk")
bedrock = [s for s in spans if s["operationName"] == "bedrock.converse"]
if want_bedrock:
    if len(bedrock) != 1:
        errors.append(f"{len(bedrock)} bedrock.converse spans, want 1")
    else:
        t = tags(bedrock[0])
        want = {"gen_ai.system": "aws.bedrock", "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "anthropic.claude-3-5-haiku-20241022-v1:0", "span.kind": "client"}
        for k, v in want.items():
            if t.get(k) != v: errors.append(f"bedrock.converse: {k}={t.get(k)!r}, want {v!r}")
        for k in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"):
            if k not in t: errors.append(f"bedrock.converse: {k} missing")
        if ("gen_ai.completion.0.content" in t) != content:
            errors.append(f"bedrock.converse: completion content present={not content}, want {content}")
roots = [s for s in spans if not s.get("references")]
if len(roots) != 1: errors.append(f"{len(roots)} root spans, want 1")
elif any(s["references"][0]["spanID"] != roots[0]["spanID"] for s in chats + bedrock):
    errors.append("chat spans are not children of the root")
if errors:
    print("\n".join(f"[e2e] FAIL {service}: {e}" for e in errors), file=sys.stderr); sys.exit(1)
c = tags(chats[0])
print(f"[e2e] ok   {service:<22} trace {trace}: {len(spans)} spans ({len(chats)} chat), "
      f"model={c['gen_ai.request.model']} in={c['gen_ai.usage.input_tokens']} out={c['gen_ai.usage.output_tokens']} "
      f"finish={c['gen_ai.response.finish_reasons']} content={'yes' if content else 'no'}"
      + (f", bedrock.converse in={tags(bedrock[0])['gen_ai.usage.input_tokens']} out={tags(bedrock[0])['gen_ai.usage.output_tokens']}" if want_bedrock else ""),
      file=sys.stderr)
PY


# check_trace SERVICE TRACE_ID MIN_CHAT_SPANS CONTENT(yes|no) [bedrock]: reads
# the trace back through the query API and checks its spans and gen_ai
# attributes (and its bedrock.converse span).
check_trace() {
	local service=$1 trace=$2 want_chat=$3 content=$4 bedrock=${5:-} json=""
	for _ in $(seq 1 50); do
		json="$(curl -sf "$QUERY/api/traces/$trace" || true)"
		if [[ -n "$json" ]] && [[ "$(jq '[.data[0].spans[]? | select(.operationName | startswith("chat "))] | length' <<< "$json")" -ge "$want_chat" ]]; then
			break
		fi
		sleep 0.1
	done
	[[ -n "$json" ]] || die "$service: trace $trace not found in jaeger"
	python3 "$WORK/check.py" "$service" "$trace" "$want_chat" "$content" "$bedrock" <<< "$json"
}

# find_trace SERVICE: the ID of the newest trace of SERVICE.
find_trace() {
	local service=$1 id=""
	for _ in $(seq 1 50); do
		id="$(curl -sf "$QUERY/api/traces?service=$service&limit=1" | jq -r '.data[0].traceID // empty' || true)"
		[[ -n "$id" ]] && break
		sleep 0.1
	done
	[[ -n "$id" ]] || die "$service: no trace in jaeger"
	echo "$id"
}

clean_env() {
	env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_PROTOCOL -u OTEL_TRACES_EXPORTER \
		-u OTEL_METRICS_EXPORTER -u OTEL_SERVICE_NAME -u OTEL_SDK_DISABLED -u CX_TOKEN -u CX_ENDPOINT "$@"
}

failed=0
run() { "$@" || failed=1; }

# 1. examples/otlp (OpenAI chat, OpenAI stream, Bedrock Converse), configured
# by the environment only, over both protocols.
# Jaeger has no metrics pipeline, so metrics are turned off here; the
# receivers in the unit tests check them.
for proto in grpc http/protobuf; do
	port=4317; [[ $proto == http/protobuf ]] && port=4318
	svc="e2e-otlp-${proto%%/*}"
	out="$(clean_env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_EXPORTER_OTLP_PROTOCOL="$proto" \
		OTEL_METRICS_EXPORTER=none OTEL_SERVICE_NAME="$svc" OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true \
		"$WORK/otlp" 2> "$WORK/$svc.err")" || { cat "$WORK/$svc.err" >&2; die "$svc: example failed"; }
	trace="$(sed -n 's/^trace: *//p' <<< "$out")"
	[[ -n "$trace" ]] || die "$svc: no trace ID printed"
	run check_trace "$svc" "$trace" 2 yes bedrock
done

# 2. examples/otlp without content capture: no content attributes.
out="$(clean_env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
	OTEL_METRICS_EXPORTER=none OTEL_SERVICE_NAME=e2e-otlp-nocontent OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT= \
	"$WORK/otlp" 2> "$WORK/nocontent.err")" || { cat "$WORK/nocontent.err" >&2; die "e2e-otlp-nocontent: example failed"; }
run check_trace e2e-otlp-nocontent "$(sed -n 's/^trace: *//p' <<< "$out")" 2 no bedrock

# 3. examples/quickstart (service name set in code) over OTLP HTTP.
clean_env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_METRICS_EXPORTER=none \
	"$WORK/quickstart" > /dev/null 2> "$WORK/quickstart.err" || { cat "$WORK/quickstart.err" >&2; die "quickstart failed"; }
run check_trace quickstart "$(find_trace quickstart)" 2 yes

# 4. examples/coralogix through coralogix.Setup, with CX_ENDPOINT pointing at
# Jaeger's OTLP gRPC port (no TLS). Jaeger ignores the Coralogix headers and
# rejects the metrics (no metrics pipeline), which the example may log.
clean_env CX_TOKEN=e2e-dummy-key CX_ENDPOINT=http://127.0.0.1:4317 CX_APPLICATION_NAME=e2e \
	"$WORK/coralogix" > /dev/null 2> "$WORK/coralogix.err" || { cat "$WORK/coralogix.err" >&2; die "coralogix example failed"; }
run check_trace coralogix-example "$(find_trace coralogix-example)" 2 yes
if [[ -s "$WORK/coralogix.err" ]]; then
	log "coralogix example stderr (expected: metrics rejected by jaeger):"
	sed 's/^/[e2e]   /' "$WORK/coralogix.err" | head -5 >&2
fi

log "services in jaeger: $(curl -sf "$QUERY/api/services" | jq -c '.data | sort')"
if [[ $failed -ne 0 ]]; then
	die "some checks failed"
fi
log "PASS"

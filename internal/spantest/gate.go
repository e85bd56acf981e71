// Package spantest holds span processors for the tests of the tracing
// packages.
package spantest

import (
	"context"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Gate is a span processor whose OnEnd blocks until the test opens the gate
// (or 2 s pass). A test opens it once the caller has got the data it waits
// for: if that data only reaches the caller after a span has ended, the gate
// is never opened in time, and TimedOut says so.
type Gate struct {
	gate     chan struct{}
	timedOut chan bool
}

// NewGate returns a closed gate, for one span.
func NewGate() *Gate { return &Gate{gate: make(chan struct{}), timedOut: make(chan bool, 1)} }

// Open opens the gate.
func (g *Gate) Open() { close(g.gate) }

// TimedOut waits for the span to end and reports whether its OnEnd gave up
// waiting for the gate.
func (g *Gate) TimedOut() bool { return <-g.timedOut }

// OnStart does nothing.
func (g *Gate) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd waits for the gate, at most 2 s.
func (g *Gate) OnEnd(sdktrace.ReadOnlySpan) {
	select {
	case <-g.gate:
		g.timedOut <- false
	case <-time.After(2 * time.Second):
		g.timedOut <- true
	}
}

// Shutdown does nothing.
func (g *Gate) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (g *Gate) ForceFlush(context.Context) error { return nil }

package semconv

import "go.opentelemetry.io/otel/attribute"

// Keys used by the export helpers.
const (
	// KeyServiceName is the service.name resource attribute.
	KeyServiceName = attribute.Key("service.name")
)

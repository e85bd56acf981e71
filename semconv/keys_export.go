package semconv

import otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"

// Keys used by the export helpers.
const (
	// KeyServiceName is the service.name resource attribute.
	KeyServiceName = otelsemconv.ServiceNameKey // service.name
)

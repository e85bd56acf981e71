package semconv

import (
	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Keys used by the export helpers.
const (
	// KeyServiceName is the service.name resource attribute.
	KeyServiceName = otelsemconv.ServiceNameKey // service.name
	// KeyCXApplicationName is the resource attribute Coralogix maps to an
	// application, as the cx-application-name header does.
	KeyCXApplicationName = attribute.Key("cx.application.name")
	// KeyCXSubsystemName is the resource attribute Coralogix maps to a
	// subsystem, as the cx-subsystem-name header does.
	KeyCXSubsystemName = attribute.Key("cx.subsystem.name")
)

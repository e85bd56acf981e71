package coralogix_test

import (
	"os"
	"testing"

	"github.com/tracekit-go/tracekit/coralogix"
)

// TestExampleSetupLeavesEnv: running the examples does not change the
// process environment seen by the tests that follow.
func TestExampleSetupLeavesEnv(t *testing.T) {
	t.Setenv("OTEL_SDK_DISABLED", "true") // Setup installs nothing whatever it is given
	t.Setenv(coralogix.EnvToken, "tok")
	ExampleSetup()
	if v, ok := os.LookupEnv(coralogix.EnvToken); !ok || v != "tok" {
		t.Errorf("after ExampleSetup, %s = %q (set: %v), want tok", coralogix.EnvToken, v, ok)
	}
}

// TestMain runs the tests and examples without the CX_* and OTEL_SDK_DISABLED
// variables of the developer's shell, so that the examples' output does not
// depend on them and no example needs to change the environment.
func TestMain(m *testing.M) {
	for _, k := range []string{coralogix.EnvToken, coralogix.EnvEndpoint, coralogix.EnvDomain, coralogix.EnvApplicationName,
		coralogix.EnvSubsystemName, "OTEL_SDK_DISABLED"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

package coralogix_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tracekit-go/tracekit/coralogix"
	"github.com/tracekit-go/tracekit/export"
)

// Setup reads CX_TOKEN and CX_ENDPOINT when the config leaves them empty, and
// fails clearly when there is no token (TestMain runs the examples without
// CX_TOKEN).
func ExampleSetup() {
	_, err := coralogix.Setup(context.Background(), coralogix.Config{
		ServiceName: "my-app",
		Endpoint:    "ingress.eu2.coralogix.com:443",
	})
	fmt.Println(err)
	// Output: coralogix: no send-your-data API key: set Config.Token or CX_TOKEN
}

// A typical program: spans and metrics to Coralogix, plus the console while
// developing. Content capture is on (see the package documentation).
func ExampleSetup_withOptions() {
	shutdown, err := coralogix.Setup(context.Background(),
		coralogix.Config{ServiceName: "my-app", ApplicationName: "shop", SubsystemName: "assistant"},
		export.WithConsole(os.Stderr),
	)
	if err != nil {
		log.Print(err) // no CX_TOKEN here
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	}()
	// ... create instrumented clients and make calls ...
}

// ExporterConfig gives the endpoint and headers for wiring an exporter of
// your own.
func ExampleExporterConfig() {
	endpoint, headers, err := coralogix.ExporterConfig(coralogix.Config{
		Token:           "my-key",
		Endpoint:        "ingress.eu2.coralogix.com:443",
		ApplicationName: "shop",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(endpoint)
	fmt.Println(headers["authorization"], headers["cx-application-name"], headers["cx-subsystem-name"])
	// Output:
	// https://ingress.eu2.coralogix.com:443
	// Bearer my-key shop Unknown
}

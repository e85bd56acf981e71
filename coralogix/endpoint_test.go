package coralogix

import (
	"errors"
	"strings"
	"testing"
)

// TestDomainSelectsIngress checks that a Coralogix domain, from
// Config.Domain or CX_DOMAIN, selects the endpoint ingress.<domain>:443, and
// the documented precedence: Config.Endpoint, then Config.Domain, then
// CX_ENDPOINT, then CX_DOMAIN.
func TestDomainSelectsIngress(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		cfg  Config
		want string
	}{
		{"config domain", nil, Config{Domain: "eu2.coralogix.com"}, "https://ingress.eu2.coralogix.com:443"},
		{"env domain", map[string]string{EnvDomain: " Coralogix.US. "}, Config{}, "https://ingress.coralogix.us:443"},
		{"domain with its ingress prefix", nil, Config{Domain: "ingress.ap3.coralogix.com"}, "https://ingress.ap3.coralogix.com:443"},
		{"config endpoint over config domain", nil, Config{Endpoint: "ingress.a.example:4317", Domain: "eu2.coralogix.com"}, "https://ingress.a.example:4317"},
		{"config domain over env endpoint", map[string]string{EnvEndpoint: "ingress.env.example:443"}, Config{Domain: "coralogix.in"}, "https://ingress.coralogix.in:443"},
		{"env endpoint over env domain", map[string]string{EnvEndpoint: "ingress.env.example:443", EnvDomain: "coralogix.in"}, Config{}, "https://ingress.env.example:443"},
		{"config endpoint over env domain", map[string]string{EnvDomain: "coralogix.in"}, Config{Endpoint: "http://127.0.0.1:4317"}, "http://127.0.0.1:4317"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearCX(t, tc.env)
			tc.cfg.Token = "k"
			got, _, err := ExporterConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("endpoint = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestInvalidDomainRejected checks that a domain that is not a host name
// (a URL, a host:port, a path) is an error naming the field or variable.
func TestInvalidDomainRejected(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		cfg   Config
		field string
	}{
		{nil, Config{Domain: "https://eu2.coralogix.com"}, "Config.Domain"},
		{nil, Config{Domain: "eu2.coralogix.com:443"}, "Config.Domain"},
		{nil, Config{Domain: "localhost"}, "Config.Domain"},
		{map[string]string{EnvDomain: "eu2.coralogix.com/x"}, Config{}, EnvDomain},
		{map[string]string{EnvDomain: "-bad.example"}, Config{}, EnvDomain},
	} {
		clearCX(t, tc.env)
		tc.cfg.Token = "k"
		_, _, err := ExporterConfig(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field+" is not a domain name") {
			t.Errorf("domain %q / env %v: err = %v, want one naming %s", tc.cfg.Domain, tc.env, err, tc.field)
		}
	}
	clearCX(t, nil)
	if _, _, err := ExporterConfig(Config{Token: "k"}); !errors.Is(err, ErrNoEndpoint) || !strings.Contains(err.Error(), EnvDomain) {
		t.Errorf("no endpoint: err = %v, want ErrNoEndpoint mentioning %s", err, EnvDomain)
	}
}

// TestBareCoralogixDomainEndpointUsesIngress checks that an endpoint whose
// host is a Coralogix domain without "ingress." (what the Coralogix UI calls
// the domain) is sent to that domain's ingress host, keeping the scheme and
// port, and that other hosts are left alone.
func TestBareCoralogixDomainEndpointUsesIngress(t *testing.T) {
	for _, tc := range []struct{ endpoint, want string }{
		{"coralogix.com", "https://ingress.coralogix.com:443"},
		{"eu2.coralogix.com", "https://ingress.eu2.coralogix.com:443"},
		{"coralogix.us:443", "https://ingress.coralogix.us:443"},
		{"https://cx498.coralogix.com", "https://ingress.cx498.coralogix.com:443"},
		{"https://Coralogix.IN:443/", "https://ingress.coralogix.in:443"},
		{"coralogixsg.com", "https://ingress.coralogixsg.com:443"},
		{"ap3.coralogix.com:4317", "https://ingress.ap3.coralogix.com:4317"},
		{"ingress.eu2.coralogix.com:443", "https://ingress.eu2.coralogix.com:443"},
		{"otel.example.com", "https://otel.example.com:443"},
		{"eu1.coralogix.example", "https://eu1.coralogix.example:443"},
	} {
		clearCX(t, nil)
		got, _, err := ExporterConfig(Config{Token: "k", Endpoint: tc.endpoint})
		if err != nil {
			t.Fatalf("%s: %v", tc.endpoint, err)
		}
		if got != tc.want {
			t.Errorf("endpoint %q = %q, want %q", tc.endpoint, got, tc.want)
		}
	}
}

package vcr

import (
	"path/filepath"
	"testing"
)

func TestLoadCorpus(t *testing.T) {
	dir := Dir(t)
	for _, sub := range []string{"openai", "bedrock"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no cassettes in %s: %v", sub, err)
		}
		for _, f := range files {
			c, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Interactions) == 0 {
				t.Errorf("%s: no interactions", f)
			}
			for _, in := range c.Interactions {
				if in.Status == 0 || in.Method == "" || in.URI == "" {
					t.Errorf("%s: incomplete interaction %+v", f, in)
				}
			}
		}
	}
}

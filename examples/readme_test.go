package examples_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeCommandsNeedOnlyGo checks that the two commands at the top of
// the README work on a machine with only Go installed: without a C
// compiler the go command disables cgo, so they are tried with
// CGO_ENABLED=0 (go run is checked by building its package, go test by
// running no test in one package).
func TestReadmeCommandsNeedOnlyGo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	f, err := os.Open(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds [][]string
	in := false
	for sc := bufio.NewScanner(f); sc.Scan() && len(cmds) < 2; {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "```sh"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			in = false
		case in:
			line, _, _ = strings.Cut(line, "#")
			if fields := strings.Fields(line); len(fields) > 0 {
				cmds = append(cmds, fields)
			}
		}
	}
	if len(cmds) < 2 {
		t.Fatalf("README: found %d commands in its first sh block, want 2", len(cmds))
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if c[0] != "go" || len(c) < 3 {
			t.Errorf("README command %q is not a go command", c)
			continue
		}
		var args []string
		switch c[1] {
		case "run":
			args = append([]string{"build", "-o", t.TempDir() + string(os.PathSeparator)}, c[2:]...)
		case "test":
			for _, a := range c[2:] {
				if !strings.HasPrefix(a, "./") {
					args = append(args, a)
				}
			}
			args = append(append([]string{"test"}, args...), "-run", "^$", "./internal/safeurl")
		default:
			t.Errorf("README command %q: unexpected go subcommand", c)
			continue
		}
		cmd := exec.Command(goTool, args...)
		cmd.Dir = ".."
		cmd.Env = append(offlineEnv(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README command %q fails without a C compiler (CGO_ENABLED=0): %v\n%s", strings.Join(c, " "), err, out)
		}
	}
}

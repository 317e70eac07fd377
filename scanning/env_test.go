package scanning

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestEnsureEngineEnv runs this test binary without the variables: the
// helper below calls EnsureEngineEnv, which must restart it with them set
// before the helper prints them.
func TestEnsureEngineEnv(t *testing.T) {
	if os.Getenv("SCANNING_ENV_HELPER") == "1" {
		if err := EnsureEngineEnv(); err != nil {
			os.Stdout.WriteString("error: " + err.Error())
			os.Exit(3)
		}
		for _, kv := range engineEnv {
			os.Stdout.WriteString(kv[0] + "=" + os.Getenv(kv[0]) + "\n")
		}
		os.Exit(0)
	}
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{nil, "OMP_THREAD_LIMIT=1\nMALLOC_ARENA_MAX=2\nMALLOC_MMAP_THRESHOLD_=16777216\n"},
		// The user's choice stands.
		{[]string{OMPThreadLimitEnv + "=2"}, "OMP_THREAD_LIMIT=2\nMALLOC_ARENA_MAX=2\n"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnsureEngineEnv$")
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if name != OMPThreadLimitEnv && name != "MALLOC_ARENA_MAX" && name != "MALLOC_MMAP_THRESHOLD_" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(append(cmd.Env, "SCANNING_ENV_HELPER=1"), tt.env...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("env %v: %v\n%s", tt.env, err, out)
		}
	}
}

package tesseract

import (
	"fmt"
	"os"
	"testing"

	"motcua/scanning"
)

// TestMain restarts the test binary with the engine environment
// (OMP_THREAD_LIMIT=1 …) so that OCR runs at the speed it has in the
// application.
func TestMain(m *testing.M) {
	if err := scanning.EnsureEngineEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot set the engine environment:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

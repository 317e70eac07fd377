package api

import (
	"fmt"
	"os"
	"testing"

	"motcua/scanning"
)

// TestMain runs with the OCR engine environment, as main does: the scan
// routes are tested with the real engine.
func TestMain(m *testing.M) {
	if err := scanning.EnsureEngineEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot set the engine environment:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

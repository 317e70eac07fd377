package sane

import (
	"context"
	"errors"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// testScanner uses SANE's own virtual "test" backend: a real scanimage and
// a real SANE driver, with no hardware. Debian ships it disabled, so the
// test gives SANE a config dir that enables only it.
func testScanner(t *testing.T) Scanner {
	t.Helper()
	s := Scanner{}
	if !s.Available() {
		t.Fatal("scanimage is not installed (Debian package sane-utils; build/scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dll.conf"), []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Env = []string{"SANE_CONFIG_DIR=" + dir}
	return s
}

func TestListAndScan(t *testing.T) {
	s := testScanner(t)
	devs, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 || devs[0].ID != "test:0" || devs[0].Label == "" {
		t.Fatalf("devices %+v", devs)
	}
	tests := []struct {
		name   string
		o      Options
		pages  int
		colour bool
	}{
		{"flatbed gray", Options{Device: "test:0", DPI: 75}, 1, false},
		{"flatbed colour", Options{Device: "test:0", DPI: 75, Colour: true}, 1, true},
		// The test backend's feeder holds 10 sheets.
		{"feeder", Options{Device: "test:0", DPI: 50, Feeder: true}, 10, false},
		{"feeder capped", Options{Device: "test:0", DPI: 50, Feeder: true, MaxPages: 3}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := s.Scan(context.Background(), t.TempDir(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != tt.pages {
				t.Fatalf("%d pages, want %d", len(pages), tt.pages)
			}
			f, err := os.Open(pages[0])
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cfg, err := png.DecodeConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			gray := cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model
			if gray == tt.colour {
				t.Errorf("colour model %T, colour asked: %v", cfg.ColorModel, tt.colour)
			}
			// The test device's default area is 80 mm wide.
			if want := tt.o.DPI * 800 / 254; cfg.Width < want-2 || cfg.Width > want+2 {
				t.Errorf("width %d px at %d dpi", cfg.Width, tt.o.DPI)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	s := Scanner{Command: "scanimage-khong-co"}
	if s.Available() {
		t.Fatal("a missing command is available")
	}
	if _, err := s.List(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("list: %v", err)
	}
	if _, err := s.Scan(context.Background(), t.TempDir(), Options{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("scan: %v", err)
	}
}

func TestUnknownDevice(t *testing.T) {
	s := testScanner(t)
	_, err := s.Scan(context.Background(), t.TempDir(), Options{Device: "test:99", DPI: 50})
	if !errors.Is(err, ErrNoPages) {
		t.Errorf("unknown device: %v", err)
	}
}

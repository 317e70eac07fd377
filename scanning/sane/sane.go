// Package sane drives a document scanner through SANE's command-line
// frontend, scanimage (Debian package sane-utils). It is optional at run
// time: Available reports whether scanimage is installed, and the desk
// imports files without it. Using the frontend rather than libsane through
// cgo keeps a misbehaving scanner driver out of the application's process.
package sane

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrUnavailable: scanimage is not installed.
var ErrUnavailable = errors.New("scanimage not installed")

// ErrNoPages: the scanner produced no page (empty feeder, cover open).
var ErrNoPages = errors.New("scanner produced no page")

// Device is a scanner SANE can see.
type Device struct {
	ID    string `json:"id"`   // e.g. "epson2:libusb:001:004"
	Label string `json:"name"` // vendor and model as SANE reports them
}

// Scanner runs scanimage. The zero value uses "scanimage" from PATH.
type Scanner struct {
	// Command is the scanimage binary; "scanimage" by default.
	Command string
	// Env is added to the environment (SANE_CONFIG_DIR in tests).
	Env []string
}

func (s Scanner) command() string {
	if s.Command != "" {
		return s.Command
	}
	return "scanimage"
}

// Available reports whether scanimage can be run.
func (s Scanner) Available() bool {
	_, err := exec.LookPath(s.command())
	return err == nil
}

var deviceLine = regexp.MustCompile("^device `(.+)' is an? (.+)$")

// List returns the scanners SANE finds. Looking for network scanners can
// take several seconds; ctx bounds it.
func (s Scanner) List(ctx context.Context) ([]Device, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	out, err := s.run(ctx, "-L")
	if err != nil {
		return nil, err
	}
	var devs []Device
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := deviceLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			devs = append(devs, Device{ID: m[1], Label: m[2]})
		}
	}
	return devs, nil
}

// Options say how to scan.
type Options struct {
	Device string // "" lets SANE pick its default device
	DPI    int    // 300 by default (the archival resolution)
	Colour bool   // colour for seals and photos; gray otherwise
	// Feeder scans every sheet of the document feeder; otherwise one page
	// from the flatbed.
	Feeder   bool
	MaxPages int // 500 by default
}

// Scan scans into dir (which must exist and be empty of page-*.png) and
// returns the page image files (PNG) in order.
func (s Scanner) Scan(ctx context.Context, dir string, o Options) ([]string, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	if o.DPI <= 0 {
		o.DPI = 300
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 500
	}
	mode := "Gray"
	if o.Colour {
		mode = "Color"
	}
	args := []string{"--format=png", "--resolution", strconv.Itoa(o.DPI), "--mode", mode,
		"--batch=" + filepath.Join(dir, "page-%04d.png"), "--batch-start=1"}
	if o.Device != "" {
		args = append([]string{"-d", o.Device}, args...)
	}
	if o.Feeder {
		args = append(args, "--source", "Automatic Document Feeder", "--batch-count="+strconv.Itoa(o.MaxPages))
	} else {
		args = append(args, "--batch-count=1")
	}
	_, runErr := s.run(ctx, args...)
	pages, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil {
		return nil, err
	}
	slices.Sort(pages)
	// An emptied feeder ends a batch with a non-zero status after the last
	// page; pages written before an error are kept only if the run ended
	// by itself, not by ctx.
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(pages) == 0 {
		if runErr != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoPages, runErr)
		}
		return nil, ErrNoPages
	}
	// scanimage creates the file before the page arrives: a page cut short
	// by a jam is an empty or truncated file, dropped here.
	var good []string
	for _, p := range pages {
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			good = append(good, p)
		}
	}
	if len(good) == 0 {
		return nil, ErrNoPages
	}
	return good, nil
}

func (s Scanner) run(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.command(), args...)
	cmd.Env = append(os.Environ(), s.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("scanimage %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

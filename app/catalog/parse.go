package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"motcua/app/vntext"
)

// MaxSize is the largest catalog file Parse reads. A province publishes a
// few thousand procedures; this leaves room and stops a runaway download.
const MaxSize = 16 << 20

const (
	maxCodeLen  = 64
	maxTextLen  = 4000 // runes; procedure names run to a few hundred
	maxDuration = 3650 // of any unit; anything longer is a data error
	maxCount    = 100  // papers of one kind in one component
)

// codePattern is a national TTHC code with an optional local suffix.
var codePattern = regexp.MustCompile(`^[0-9]\.[0-9]{6}(\.[0-9A-Z]{1,10})*$`)

// ProcedureError names the procedure that failed validation.
type ProcedureError struct {
	Index int    // position in Procedures
	Code  string // as given, possibly malformed
	Err   error
}

func (e *ProcedureError) Error() string {
	return fmt.Sprintf("procedure %d (%q): %v", e.Index, e.Code, e.Err)
}

func (e *ProcedureError) Unwrap() error { return e.Err }

// Parse reads a catalog from JSON. Decoding is strict: unknown fields,
// trailing data and files over MaxSize are rejected. The result is
// validated and indexed.
func Parse(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the catalog object", ErrMalformed)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal returns the catalog as indented JSON that Parse reads back.
func (c *Catalog) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("marshal catalog: %w", err)
	}
	return buf.Bytes(), nil
}

// Validate checks the whole catalog and rebuilds the lookup index. Errors
// about one procedure are *ProcedureError; all wrap ErrInvalid or
// ErrDuplicateCode.
func (c *Catalog) Validate() error {
	if c.Version < 1 {
		return fmt.Errorf("%w: version %d, want ≥ 1", ErrInvalid, c.Version)
	}
	if err := checkText("source", c.Source, true); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		return fmt.Errorf("%w: no updated_at", ErrInvalid)
	}
	if len(c.Procedures) == 0 {
		return fmt.Errorf("%w: no procedures", ErrInvalid)
	}
	seen := make(map[string]int, len(c.Procedures))
	for i := range c.Procedures {
		p := &c.Procedures[i]
		if err := p.validate(); err != nil {
			return &ProcedureError{Index: i, Code: p.Code, Err: err}
		}
		if j, dup := seen[p.Code]; dup {
			return &ProcedureError{Index: i, Code: p.Code,
				Err: fmt.Errorf("%w: same as procedure %d", ErrDuplicateCode, j)}
		}
		seen[p.Code] = i
	}
	c.index = buildIndex(c.Procedures)
	return nil
}

func (p *Procedure) validate() error {
	if len(p.Code) > maxCodeLen || !codePattern.MatchString(p.Code) {
		return fmt.Errorf("%w: code %q is not d.dddddd with an optional .SUFFIX", ErrInvalid, p.Code)
	}
	for _, t := range []struct {
		field, s string
		required bool
	}{
		{"name", p.Name, true},
		{"field", p.Field, true},
		{"competence", p.Competence, false},
		{"note", p.Note, false},
	} {
		if err := checkText(t.field, t.s, t.required); err != nil {
			return err
		}
	}
	if !p.Level.valid() {
		return fmt.Errorf("%w: unknown level %q", ErrInvalid, p.Level)
	}
	if err := p.ProcessingTime.validate(); err != nil {
		return fmt.Errorf("processing_time: %w", err)
	}
	if !p.SupplementPolicy.valid() {
		return fmt.Errorf("%w: unknown supplement_policy %q", ErrInvalid, p.SupplementPolicy)
	}
	if w := p.SupplementWindow; w != nil {
		if err := w.validate(false); err != nil {
			return fmt.Errorf("supplement_window: %w", err)
		}
	}
	for i, f := range p.Fees {
		if err := f.validate(); err != nil {
			return fmt.Errorf("fees[%d]: %w", i, err)
		}
	}
	for i, c := range p.Components {
		if err := c.validate(); err != nil {
			return fmt.Errorf("components[%d]: %w", i, err)
		}
	}
	for i, r := range p.Results {
		if err := checkText(fmt.Sprintf("results[%d]", i), r, true); err != nil {
			return err
		}
	}
	if len(p.Channels) == 0 {
		return fmt.Errorf("%w: no channels", ErrInvalid)
	}
	for i, ch := range p.Channels {
		if !ch.Valid() {
			return fmt.Errorf("%w: channels[%d] %q unknown", ErrInvalid, i, ch)
		}
		for _, prev := range p.Channels[:i] {
			if prev == ch {
				return fmt.Errorf("%w: channel %q listed twice", ErrInvalid, ch)
			}
		}
	}
	return nil
}

func (t ProcessingTime) validate() error {
	if err := t.Duration.validate(true); err != nil {
		return err
	}
	if e := t.Extended; e != nil {
		if err := e.Duration.validate(false); err != nil {
			return fmt.Errorf("extended: %w", err)
		}
		if err := checkText("extended condition", e.Condition, true); err != nil {
			return err
		}
	}
	return checkProvisional(t.Provisional, t.Note)
}

// validate checks the unit and amount; sameDayOK allows SameDayCutoff,
// which makes sense as a base time but not as an extension or window.
func (d Duration) validate(sameDayOK bool) error {
	switch {
	case !d.Unit.valid():
		return fmt.Errorf("%w: unknown unit %q", ErrInvalid, d.Unit)
	case d.Unit == SameDayCutoff && !sameDayOK:
		return fmt.Errorf("%w: unit %q not allowed here", ErrInvalid, d.Unit)
	case d.Unit == SameDayCutoff && d.Amount != 0:
		return fmt.Errorf("%w: %q takes amount 0, not %d", ErrInvalid, d.Unit, d.Amount)
	case d.Unit != SameDayCutoff && (d.Amount < 1 || d.Amount > maxDuration):
		return fmt.Errorf("%w: amount %d %s not in 1–%d", ErrInvalid, d.Amount, d.Unit, maxDuration)
	}
	return nil
}

func (c Component) validate() error {
	if err := checkText("name", c.Name, true); err != nil {
		return err
	}
	if err := checkText("note", c.Note, false); err != nil {
		return err
	}
	for _, n := range []int{c.Originals, c.Certified, c.Copies} {
		if n < 0 || n > maxCount {
			return fmt.Errorf("%w: count %d not in 0–%d", ErrInvalid, n, maxCount)
		}
	}
	return nil
}

// checkText enforces what the desk relies on for every Vietnamese string:
// NFC (so byte comparison works), no surrounding space, no control
// characters, and a sane length.
func checkText(field, s string, required bool) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%w: %s is empty", ErrInvalid, field)
	case s == "":
		return nil
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, field)
	case !vntext.IsNFC(s):
		return fmt.Errorf("%w: %s %q is not NFC", ErrInvalid, field, s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%w: %s %q has surrounding space", ErrInvalid, field, s)
	case utf8.RuneCountInString(s) > maxTextLen:
		return fmt.Errorf("%w: %s longer than %d characters", ErrInvalid, field, maxTextLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s %q has a control character", ErrInvalid, field, s)
	}
	return nil
}

func checkProvisional(provisional bool, note string) error {
	if provisional && note == "" {
		return fmt.Errorf("%w: provisional value without a note", ErrInvalid)
	}
	return checkText("note", note, false)
}

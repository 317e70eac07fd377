package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeError says why a document could not be read. Kind is one of the
// Code* constants (CodeTooLarge, CodeInvalidJSON, CodeUnknownField).
type DecodeError struct {
	Kind  string
	Field string // the offending field, when known
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("decode: %s: field %q: %v", e.Kind, e.Field, e.Err)
	}
	return fmt.Sprintf("decode: %s: %v", e.Kind, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped when a document exceeds the decoder's limit.
var ErrTooLarge = errors.New("document exceeds size limit")

// DecodeStrict reads exactly one JSON document of at most limit bytes from r
// into v, rejecting unknown fields and trailing data. The hub decodes with it
// whenever the client's version is not newer than its own (StrictFor).
func DecodeStrict(r io.Reader, limit int64, v any) error { return decode(r, limit, v, true) }

// DecodeLenient is DecodeStrict but ignores unknown fields: a client reads
// the hub's answers with it, because a hub of a newer minor version may add
// fields.
func DecodeLenient(r io.Reader, limit int64, v any) error { return decode(r, limit, v, false) }

// Decode is DecodeStrict or DecodeLenient.
func Decode(r io.Reader, limit int64, v any, strict bool) error { return decode(r, limit, v, strict) }

func decode(r io.Reader, limit int64, v any, strict bool) error {
	// Read limit+1 bytes so an exactly-full document is told apart from a
	// longer one; the whole document is in memory anyway once decoded.
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("decode: read: %w", err)
	}
	if int64(len(b)) > limit {
		return &DecodeError{Kind: CodeTooLarge, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return &DecodeError{Kind: CodeInvalidJSON, Field: typeErr.Field, Err: err}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no typed error for this case.
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &DecodeError{Kind: CodeUnknownField, Field: name, Err: err}
		}
		return &DecodeError{Kind: CodeInvalidJSON, Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Kind: CodeInvalidJSON, Err: errors.New("trailing data after the JSON document")}
	}
	return nil
}

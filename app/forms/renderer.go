package forms

import (
	"fmt"
	"io"
	"time"
)

// Renderer prints the forms of one set for one office. It holds no state
// between calls and may be used from several goroutines.
type Renderer struct {
	set     Set
	office  Office
	loc     *time.Location
	created time.Time
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithLocation prints every time in loc (normally Asia/Ho_Chi_Minh) instead of
// the location each time.Time carries.
func WithLocation(loc *time.Location) Option {
	return func(r *Renderer) { r.loc = loc }
}

// WithCreationDate fixes the PDF creation and modification dates, which makes
// the output byte-for-byte reproducible.
func WithCreationDate(t time.Time) Option {
	return func(r *Renderer) { r.created = t }
}

// NewRenderer returns a renderer of the given set's forms for office.
func NewRenderer(set Set, office Office, opts ...Option) (*Renderer, error) {
	if !set.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSet, string(set))
	}
	if office.UnitName == "" {
		return nil, invalid("missing office unit name")
	}
	r := &Renderer{set: set, office: office}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Set returns the renderer's form set.
func (r *Renderer) Set() Set { return r.set }

// Render prints form number (as numbered in the renderer's set) with data,
// which must be the matching struct: Receipt, SupplementRequest, Refusal,
// Apology, StopNotice, ControlSlip or Register (printed as PDF).
//
// A number the set does not have, or data of a kind the set does not have
// (a StopNotice in Set01_2018), yields an *UnknownFormError; data of another
// kind than the numbered form yields ErrInvalidInput.
func (r *Renderer) Render(w io.Writer, number int, data any) error {
	form, err := r.set.Form(number)
	if err != nil {
		return err
	}
	kind := kindOf(data)
	if kind == 0 {
		return invalid("cannot print %T", data)
	}
	if kind != form.Kind {
		if _, err := r.set.FormOf(kind); err != nil {
			return err
		}
		return invalid("form %02d is a %s form, not a %s form", number, form.Kind, kind)
	}
	switch d := data.(type) {
	case Receipt:
		return r.Receipt(w, d)
	case SupplementRequest:
		return r.Supplement(w, d)
	case Refusal:
		return r.Refusal(w, d)
	case Apology:
		return r.Apology(w, d)
	case StopNotice:
		return r.StopNotice(w, d)
	case ControlSlip:
		return r.ControlSlip(w, d)
	default: // Register; kindOf admits nothing else
		return r.RegisterPDF(w, d.(Register))
	}
}

// kindOf maps an input struct to the kind of form that prints it.
func kindOf(data any) Kind {
	switch data.(type) {
	case Receipt:
		return KindReceipt
	case SupplementRequest:
		return KindSupplement
	case Refusal:
		return KindRefusal
	case Apology:
		return KindApology
	case StopNotice:
		return KindStopNotice
	case ControlSlip:
		return KindControlSlip
	case Register:
		return KindRegister
	}
	return 0
}

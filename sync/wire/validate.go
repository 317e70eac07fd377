package wire

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("invalid record")

// ValidID reports whether s is an ID minted on a commune: a canonical
// lowercase UUID (UUIDv7 recommended) or a canonical uppercase ULID. One
// spelling per ID keeps "get-or-create by ID" from creating two rows for the
// same thing written twice.
func ValidID(s string) bool {
	switch len(s) {
	case 36:
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch i {
			case 8, 13, 18, 23:
				if c != '-' {
					return false
				}
			default:
				if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
					return false
				}
			}
		}
		return true
	case 26:
		// Crockford base32 without I, L, O, U; the first digit is at most 7
		// so the 128-bit value does not overflow.
		if s[0] > '7' {
			return false
		}
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", rune(s[i])) {
				return false
			}
		}
		return true
	}
	return false
}

// Field limits.
const (
	maxShort   = 200  // codes, names
	maxSummary = 1000 // trích yếu (national portal limit)
	maxText    = 4000 // reasons, notes, addresses
	maxItems   = 200  // components, fees, blobs per component
)

type checker struct{ problems []string }

func (c *checker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.add("%s is required", field)
	}
}

func (c *checker) length(field, v string, max int) {
	if !utf8.ValidString(v) {
		c.add("%s is not valid UTF-8", field)
	} else if utf8.RuneCountInString(v) > max {
		c.add("%s is longer than %d characters", field, max)
	}
}

func (c *checker) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add("%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(c.problems, "; "))
}

func (c *checker) national(field string, n int) {
	if n < StatusRegistered || n > StatusResultsReturned {
		c.add("%s %d is not a national status code (1–10)", field, n)
	}
}

func (c *checker) blob(field string, b BlobRef) {
	if !ValidSHA256(b.SHA256) {
		c.add("%s.sha256 is not 64 lowercase hex digits", field)
	}
	// An empty scan is the classic "attachment lost on the way" bug: refuse
	// it at the boundary rather than store a dossier with nothing in it.
	if b.Size <= 0 {
		c.add("%s.size must be positive", field)
	}
	c.required(field+".media_type", b.MediaType)
	c.length(field+".media_type", b.MediaType, maxShort)
	c.length(field+".name", b.Name, maxShort)
}

func (c *checker) components(field string, cs []Component) {
	if len(cs) > maxItems {
		c.add("%s has more than %d entries", field, maxItems)
		return
	}
	for i, comp := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		c.required(f+".name", comp.Name)
		c.length(f+".name", comp.Name, maxText)
		c.length(f+".code", comp.Code, maxShort)
		if len(comp.Blobs) > maxItems {
			c.add("%s.blobs has more than %d entries", f, maxItems)
			continue
		}
		if comp.Digitised && len(comp.Blobs) == 0 {
			c.add("%s is digitised but has no blobs", f)
		}
		for j, b := range comp.Blobs {
			c.blob(fmt.Sprintf("%s.blobs[%d]", f, j), b)
		}
	}
}

// Validate checks that d is complete and well-formed. Both sides call it:
// the commune before it queues a dossier, the hub before it stores one.
func (d *Dossier) Validate() error {
	var c checker
	if !ValidID(d.ID) {
		c.add("id %q is not a UUID or ULID", d.ID)
	}
	c.required("code", d.Code)
	c.length("code", d.Code, maxShort)
	c.required("commune_code", d.CommuneCode)
	c.length("commune_code", d.CommuneCode, maxShort)
	c.length("agency_code", d.AgencyCode, maxShort)
	c.required("procedure.code", d.Procedure.Code)
	c.required("procedure.name", d.Procedure.Name)
	c.length("procedure.code", d.Procedure.Code, maxShort)
	c.length("procedure.name", d.Procedure.Name, maxText)
	c.length("procedure.field_code", d.Procedure.FieldCode, maxShort)
	c.length("procedure.field_name", d.Procedure.FieldName, maxText)
	c.required("applicant.name", d.Applicant.Name)
	c.length("applicant.name", d.Applicant.Name, maxShort)
	c.length("applicant.id_number", d.Applicant.IDNumber, maxShort)
	c.oneOf("applicant.kind", d.Applicant.Kind, ApplicantPerson, ApplicantEnterprise, ApplicantStateAgency, ApplicantOrganisation)
	c.length("applicant.address", d.Applicant.Address, maxText)
	c.length("applicant.phone", d.Applicant.Phone, maxShort)
	c.length("applicant.email", d.Applicant.Email, maxShort)
	c.length("summary", d.Summary, maxSummary)
	c.oneOf("channel", d.Channel, ChannelInPerson, ChannelOnline, ChannelPostal)
	if d.ReturnMethod != "" {
		c.oneOf("return_method", d.ReturnMethod, ReturnInPerson, ReturnPost)
	}
	if d.ReceivedAt.IsZero() {
		c.add("received_at is required")
	}
	if d.DueAt != nil && d.DueAt.Before(d.ReceivedAt) {
		c.add("due_at is before received_at")
	}
	c.national("status.national", d.Status.National)
	c.required("status.state", d.Status.State)
	c.length("status.state", d.Status.State, maxShort)
	c.required("received_by", d.ReceivedBy)
	c.length("received_by", d.ReceivedBy, maxShort)
	c.components("components", d.Components)
	if len(d.Fees) > maxItems {
		c.add("fees has more than %d entries", maxItems)
	}
	for i, f := range d.Fees {
		field := fmt.Sprintf("fees[%d]", i)
		c.required(field+".name", f.Name)
		c.length(field+".name", f.Name, maxText)
		c.oneOf(field+".kind", f.Kind, "fee", "charge")
		if f.Amount < 0 {
			c.add("%s.amount is negative", field)
		}
	}
	return c.err()
}

// Validate checks that e is complete and well-formed. Whether its transition
// is allowed is the commune's state machine's business; the hub only checks
// that From matches its copy of the dossier.
func (e *Event) Validate() error {
	var c checker
	if !ValidID(e.ID) {
		c.add("id %q is not a UUID or ULID", e.ID)
	}
	if !ValidID(e.DossierID) {
		c.add("dossier_id %q is not a UUID or ULID", e.DossierID)
	}
	c.required("action", e.Action)
	c.length("action", e.Action, maxShort)
	c.required("from", e.From)
	c.required("to", e.To)
	c.length("from", e.From, maxShort)
	c.length("to", e.To, maxShort)
	c.national("national_status", e.NationalStatus)
	if e.At.IsZero() {
		c.add("at is required")
	}
	c.required("actor", e.Actor)
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"actor", e.Actor, maxShort}, {"actor_name", e.ActorName, maxShort},
		{"reason", e.Reason, maxText}, {"note", e.Note, maxText},
		{"assignee", e.Assignee, maxShort}, {"giver", e.Giver, maxShort}, {"receiver", e.Receiver, maxShort},
		{"receiver_name", e.ReceiverName, maxShort}, {"receiver_id", e.ReceiverID, maxShort},
		{"postal_tracking", e.PostalTracking, maxShort},
	} {
		c.length(f.name, f.v, f.max)
	}
	if e.Agency != nil {
		c.required("agency.code", e.Agency.Code)
		c.length("agency.code", e.Agency.Code, maxShort)
		c.length("agency.name", e.Agency.Name, maxText)
	}
	if e.ReturnMethod != "" {
		c.oneOf("return_method", e.ReturnMethod, ReturnInPerson, ReturnPost)
	}
	if e.Amount < 0 {
		c.add("amount is negative")
	}
	if len(e.SupplementItems) > maxItems {
		c.add("supplement_items has more than %d entries", maxItems)
	}
	for i, s := range e.SupplementItems {
		c.length(fmt.Sprintf("supplement_items[%d]", i), s, maxText)
	}
	c.components("components", e.Components)
	return c.err()
}

// Blobs returns every blob d references, in order.
func (d *Dossier) Blobs() []BlobRef { return componentBlobs(d.Components) }

// Blobs returns every blob e references, in order.
func (e *Event) Blobs() []BlobRef { return componentBlobs(e.Components) }

func componentBlobs(cs []Component) []BlobRef {
	var out []BlobRef
	for _, c := range cs {
		out = append(out, c.Blobs...)
	}
	return out
}

package reception

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"motcua/app/dossier"
	"motcua/app/forms"
	"motcua/app/office"
)

// Form names of the print endpoints.
const (
	FormReceipt    = "receipt"
	FormSupplement = "supplement"
	FormRefusal    = "refusal"
	FormApology    = "apology"
	FormStop       = "stop"
	FormControl    = "control"
)

// ErrFormNotApplicable is returned for a form the dossier has nothing for
// (an apology for a dossier never extended) or the set lacks.
var ErrFormNotApplicable = errors.New("form not applicable to this dossier")

func (s *Service) renderer(ctx context.Context) (*forms.Renderer, office.Settings, error) {
	set, err := s.settings.Settings(ctx)
	if errors.Is(err, office.ErrNotConfigured) {
		return nil, set, ErrNotConfigured
	}
	if err != nil {
		return nil, set, err
	}
	fs := forms.Set03_2025
	if set.FormSet == office.FormSet012018 {
		fs = forms.Set01_2018
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, set, err
	}
	r, err := forms.NewRenderer(fs, forms.Office{
		ParentName: set.ParentAgency, UnitName: set.UnitName, Place: set.CommuneName,
		AgencyCode: set.AgencyCode, Address: set.Address, Phone: set.Phone,
	}, forms.WithLocation(cal.Location()))
	return r, set, err
}

func formDossier(d *Dossier) forms.Dossier {
	fd := forms.Dossier{
		Code: d.Code, ProcedureCode: d.ProcedureCode, ProcedureName: d.ProcedureName,
		Applicant: forms.Person{Name: d.Applicant.Name, IDNumber: d.Applicant.IDNumber, Address: d.Applicant.Address,
			Phone: d.Applicant.Phone, Email: d.Applicant.Email},
		ReceivedAt: d.CreatedAt,
	}
	if d.ReceivedAt != nil {
		fd.ReceivedAt = *d.ReceivedAt
	}
	if d.DueAt != nil {
		fd.DueAt = *d.DueAt
	}
	return fd
}

func lastEvent(evs []dossier.Event, actions ...dossier.Action) *dossier.Event {
	for i := len(evs) - 1; i >= 0; i-- {
		for _, a := range actions {
			if evs[i].Action == a {
				return &evs[i]
			}
		}
	}
	return nil
}

// Form renders one of the dossier's forms as PDF.
func (s *Service) Form(ctx context.Context, id, form string) ([]byte, error) {
	d, evs, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	r, set, err := s.renderer(ctx)
	if err != nil {
		return nil, err
	}
	fd := formDossier(&d)
	var buf bytes.Buffer
	switch form {
	case FormReceipt:
		if d.ReceivedAt == nil {
			return nil, ErrFormNotApplicable
		}
		rc := forms.Receipt{Dossier: fd, Sets: d.Sets, LegalTime: d.ProcessingTime.Label(true),
			ResultAt: set.UnitName, Receiver: actorName(evs, dossier.ActionReceiveComplete, dossier.ActionSupplementReceived),
			IssuedAt: *d.ReceivedAt}
		if d.ResultDelivery == dossier.ReturnPost {
			rc.ResultAt = "Qua dịch vụ bưu chính công ích"
		}
		if d.Fee > 0 {
			rc.Fee = formatVND(d.Fee)
		} else {
			rc.Fee = "Không thu"
		}
		if rp := d.Representative; rp != nil {
			rc.Representative = &forms.Person{Name: rp.Name, IDNumber: rp.IDNumber, Address: rp.Address, Phone: rp.Phone, Email: rp.Email}
			rc.AuthorisationDoc = rp.Authorization
		}
		for _, c := range d.Components {
			rc.Components = append(rc.Components, forms.Component{Name: c.Name, Originals: c.Originals, Certified: c.Certified, Copies: c.Copies})
		}
		err = r.Receipt(&buf, rc)
	case FormSupplement:
		ev := lastEvent(evs, dossier.ActionReceiveIncomplete, dossier.ActionRequestSupplement)
		if ev == nil {
			return nil, ErrFormNotApplicable
		}
		err = r.Supplement(&buf, forms.SupplementRequest{Dossier: fd, Items: ev.SupplementItems, Reason: ev.Reason,
			GuideStaff: ev.ActorName, IssuedAt: ev.At})
	case FormRefusal:
		ev := lastEvent(evs, dossier.ActionRefuse)
		if ev == nil {
			return nil, ErrFormNotApplicable
		}
		err = r.Refusal(&buf, forms.Refusal{Dossier: fd, Reasons: []string{ev.Reason}, Receiver: ev.ActorName, IssuedAt: ev.At})
	case FormApology:
		ev := lastEvent(evs, dossier.ActionApologizeExtend)
		if ev == nil || ev.DueDate == nil || ev.PrevDueDate == nil {
			return nil, ErrFormNotApplicable
		}
		fd.DueAt = *ev.PrevDueDate
		err = r.Apology(&buf, forms.Apology{Dossier: fd, NewDueAt: *ev.DueDate, Reason: ev.Reason, IssuedAt: ev.At})
	case FormStop:
		ev := lastEvent(evs, dossier.ActionStop, dossier.ActionApplicantWithdraw)
		if ev == nil {
			return nil, ErrFormNotApplicable
		}
		err = r.StopNotice(&buf, forms.StopNotice{Dossier: fd, RequestedAt: ev.At, Reason: ev.Reason, IssuedAt: ev.At})
	case FormControl:
		slip := forms.ControlSlip{Dossier: fd, LeadAgency: d.LeadAgencyName, IssuedAt: s.now()}
		if slip.LeadAgency == "" {
			slip.LeadAgency = set.UnitName
		}
		cal, cerr := s.Calendar(ctx)
		if cerr != nil {
			return nil, cerr
		}
		for _, ev := range evs {
			if ev.Action != dossier.ActionHandover && ev.Action != dossier.ActionTransfer {
				continue
			}
			h := forms.Handover{GiverPerson: ev.Giver, ReceiverPerson: ev.Receiver, At: ev.At, Note: ev.Note}
			if ev.Action == dossier.ActionTransfer {
				h.GiverUnit, h.ReceiverUnit = set.UnitName, ev.AgencyName
			}
			if d.DueAt != nil {
				h.Result = map[string]forms.Timeliness{"early": forms.Early, "on_time": forms.OnTime, "late": forms.Late}[string(cal.Classify(ev.At, *d.DueAt))]
			}
			slip.Handovers = append(slip.Handovers, h)
		}
		err = r.ControlSlip(&buf, slip)
	default:
		return nil, ErrFormNotApplicable
	}
	var unknown *forms.UnknownFormError
	if errors.As(err, &unknown) {
		return nil, fmt.Errorf("%w: %v", ErrFormNotApplicable, err)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", form, err)
	}
	return buf.Bytes(), nil
}

func actorName(evs []dossier.Event, actions ...dossier.Action) string {
	if ev := lastEvent(evs, actions...); ev != nil {
		if ev.ActorName != "" {
			return ev.ActorName
		}
		return ev.Actor
	}
	return ""
}

// Register renders the tracking register (Sổ theo dõi hồ sơ) of dossiers
// recorded in [from, to) as XLSX or PDF.
func (s *Service) Register(ctx context.Context, from, to time.Time, xlsx bool) ([]byte, error) {
	ds, err := s.ByReceipt(ctx, from, to, 0)
	if err != nil {
		return nil, err
	}
	r, set, err := s.renderer(ctx)
	if err != nil {
		return nil, err
	}
	reg := forms.Register{IssuedAt: s.now()}
	for _, d := range ds {
		if d.ReceivedAt == nil {
			continue // not received: guided or refused at the counter
		}
		row := forms.RegisterRow{DossierCode: d.Code, ProcedureName: d.ProcedureName, ApplicantName: d.Applicant.Name,
			Address: d.Applicant.Address, Phone: d.Applicant.Phone, LeadAgency: d.LeadAgencyName, ReceivedAt: *d.ReceivedAt}
		if row.LeadAgency == "" {
			row.LeadAgency = set.UnitName
		}
		if d.DueAt != nil {
			row.DueAt = *d.DueAt
		}
		if d.ReturnedAt != nil {
			row.ReturnedAt = *d.ReturnedAt
			row.ReturnMethod = d.ReturnMethod.Label()
		}
		reg.Rows = append(reg.Rows, row)
	}
	var buf bytes.Buffer
	if xlsx {
		err = r.RegisterXLSX(&buf, reg)
	} else {
		err = r.RegisterPDF(&buf, reg)
	}
	if err != nil {
		return nil, fmt.Errorf("render register: %w", err)
	}
	return buf.Bytes(), nil
}

// formatVND writes 12000 as "12.000 đồng".
func formatVND(v int64) string {
	s := fmt.Sprint(v)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	return string(out) + " đồng"
}

// AvailableForms lists the forms Form can print for d now, in desk order.
func (s *Service) AvailableForms(ctx context.Context, d *Dossier, evs []dossier.Event) []string {
	var out []string
	if d.ReceivedAt != nil {
		out = append(out, FormReceipt)
	}
	if lastEvent(evs, dossier.ActionReceiveIncomplete, dossier.ActionRequestSupplement) != nil {
		out = append(out, FormSupplement)
	}
	if lastEvent(evs, dossier.ActionRefuse) != nil {
		out = append(out, FormRefusal)
	}
	if lastEvent(evs, dossier.ActionApologizeExtend) != nil {
		out = append(out, FormApology)
	}
	if lastEvent(evs, dossier.ActionStop, dossier.ActionApplicantWithdraw) != nil {
		// The 2018 set has no stop notice.
		if set, err := s.settings.Settings(ctx); err == nil && set.FormSet != office.FormSet012018 {
			out = append(out, FormStop)
		}
	}
	return append(out, FormControl)
}

package syncing

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// eventIDSpace derives wire IDs for desk events whose request ID is not a
// UUID or ULID (the hub accepts only those): a name-based UUID of the
// dossier and the request ID is the same on every replay.
var eventIDSpace = uuid.MustParse("6f1c4a52-93b0-4a4e-9a57-2f0d4c2b8e11")

func wireEventID(dossierID, eventID string) string {
	if wire.ValidID(eventID) {
		return eventID
	}
	return uuid.NewSHA1(eventIDSpace, []byte(dossierID+"\x00"+eventID)).String()
}

// EnqueueReception queues the reception snapshot of d, inside the
// reception's transaction. It implements reception.Outbox.
func (s *Service) EnqueueReception(x *store.Txn, d *reception.Dossier, ev *dossier.Event, set office.Settings) error {
	wd := wireDossier(d, set.AgencyCode)
	it := outbox.Item{DossierID: d.ID, Kind: outbox.KindDossier, RecordID: wd.ID, DossierCode: d.Code,
		Action: string(ev.Action), Blobs: wd.Blobs()}
	return s.enqueue(x, it, wd.Validate(), wd)
}

// EnqueueAction queues the event of an action on d, inside the action's
// transaction. It implements reception.Outbox.
func (s *Service) EnqueueAction(x *store.Txn, d *reception.Dossier, ev *dossier.Event) error {
	we := wireEvent(d, ev)
	it := outbox.Item{DossierID: d.ID, Kind: outbox.KindEvent, RecordID: we.ID, DossierCode: d.Code,
		Action: string(ev.Action), Blobs: we.Blobs()}
	return s.enqueue(x, it, we.Validate(), we)
}

func (s *Service) enqueue(x *store.Txn, it outbox.Item, invalid error, doc any) error {
	payload, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("outbox payload: %w", err)
	}
	it.Payload = payload
	if invalid != nil {
		// The hub would refuse it; say so at once rather than after a
		// round trip, and never block the desk for it.
		it.State, it.Code = outbox.StateParked, CodeInvalidLocal
		s.log.Warn("record cannot be sent as it is; parked for a person", "dossier", it.DossierID, "err", invalid)
	}
	if _, err := outbox.Enqueue(x, it); err != nil {
		return err
	}
	// This runs before the desk's transaction commits; the loop waits
	// Settle before it reads.
	s.poke(s.soft)
	return nil
}

// wireDossier is the reception snapshot the hub stores.
func wireDossier(d *reception.Dossier, communeCode string) wire.Dossier {
	received := d.CreatedAt
	if d.ReceivedAt != nil {
		received = *d.ReceivedAt
	}
	wd := wire.Dossier{
		ID: d.ID, Code: d.Code, CommuneCode: communeCode, AgencyCode: d.LeadAgency,
		Procedure: wire.Procedure{Code: d.ProcedureCode, Name: d.ProcedureName, FieldName: d.Field},
		Applicant: wire.Applicant{Name: d.Applicant.Name, IDNumber: d.Applicant.IDNumber, Kind: string(d.Applicant.Kind),
			Address: d.Applicant.Address, Phone: d.Applicant.Phone, Email: d.Applicant.Email},
		Channel: string(d.Channel), ReturnMethod: string(d.ResultDelivery),
		ReceivedAt: received, DueAt: d.DueAt,
		Status:     wire.Status{National: d.State.NationalStatus(), State: string(d.State)},
		ReceivedBy: d.CreatedBy,
		Components: make([]wire.Component, 0, len(d.Components)),
	}
	for _, c := range d.Components {
		wd.Components = append(wd.Components, wire.Component{Name: c.Name, Digitised: c.Digitised})
	}
	return wd
}

// wireEvent is a desk action as the hub stores it.
func wireEvent(d *reception.Dossier, ev *dossier.Event) wire.Event {
	we := wire.Event{
		ID: wireEventID(d.ID, ev.ID), DossierID: d.ID, Action: string(ev.Action),
		From: string(ev.From), To: string(ev.To), NationalStatus: ev.To.NationalStatus(),
		At: ev.At, Actor: ev.Actor, ActorName: ev.ActorName, Reason: ev.Reason, Note: ev.Note,
		DueAt: ev.DueDate, PrevDueAt: ev.PrevDueDate, Assignee: ev.Assignee, Giver: ev.Giver, Receiver: ev.Receiver,
		SupplementItems: ev.SupplementItems, Amount: ev.Amount, ReturnMethod: string(ev.ReturnMethod),
		ReceiverName: ev.ReceiverName, ReceiverID: ev.ReceiverID, PostalTracking: ev.PostalTracking,
	}
	if ev.Agency != "" {
		we.Agency = &wire.Agency{Code: ev.Agency, Name: ev.AgencyName}
	}
	return we
}

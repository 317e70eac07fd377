package syncing

import (
	"github.com/google/uuid"

	"motcua/app/digitize"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// scanEventSpace names attach_scans events by job and dossier, so the same
// scan queued twice is the same event to the hub.
var scanEventSpace = uuid.MustParse("0b8f3f7e-55c1-4d1e-8a1e-6f7d5a0c9b42")

// EnqueueScan queues an attach_scans event carrying a scan's searchable PDF
// for d, inside the transaction that finished or bound the scan; the
// sender uploads the PDF before the event. It implements digitize.Outbox.
func (s *Service) EnqueueScan(x *store.Txn, d reception.Dossier, sc digitize.ScanSent) error {
	name := sc.Component
	if name == "" {
		name = "Bản số hóa hồ sơ"
	}
	we := wire.Event{
		ID: uuid.NewSHA1(scanEventSpace, []byte(sc.JobID+"\x00"+d.ID)).String(), DossierID: d.ID,
		Action: wire.ActionAttachScans, From: string(d.State), To: string(d.State), NationalStatus: d.State.NationalStatus(),
		At: sc.At, Actor: sc.Actor, ActorName: sc.ActorName,
		Components: []wire.Component{{Name: name, Digitised: true, Blobs: []wire.BlobRef{{
			SHA256: sc.SHA256, Size: sc.Size, MediaType: "application/pdf", Name: sc.FileName}}}},
	}
	it := outbox.Item{DossierID: d.ID, Kind: outbox.KindEvent, RecordID: we.ID, DossierCode: d.Code,
		Action: wire.ActionAttachScans, Blobs: we.Blobs()}
	return s.enqueue(x, it, we.Validate(), we)
}

package hub

import (
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"time"

	"motcua/sync/wire"
)

var ict = time.FixedZone("ICT", 7*3600)

var idSeq atomic.Uint64

// newID mints a UUIDv7-shaped ID unique within the test binary.
func newID() string {
	return newUUIDv7(time.Now().Add(time.Duration(idSeq.Add(1)) * time.Millisecond))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

var codeSeq atomic.Uint64

// dossier builds a valid received dossier of commune with the given scans.
func dossier(commune string, scans ...wire.BlobRef) wire.Dossier {
	received := time.Date(2026, 3, 2, 8, 15, 0, 0, ict)
	due := time.Date(2026, 3, 4, 16, 30, 0, 0, ict)
	comps := []wire.Component{{Code: "CCCD", Name: "Căn cước", FromNationalDB: true}}
	for i, s := range scans {
		comps = append(comps, wire.Component{Code: fmt.Sprintf("TP%d", i+1), Name: "Tờ khai", Digitised: true, Blobs: []wire.BlobRef{s}})
	}
	return wire.Dossier{
		ID: newID(), Code: fmt.Sprintf("%s-260302-%04d", commune, codeSeq.Add(1)), CommuneCode: commune,
		Procedure:  wire.Procedure{Code: "1.001193", Name: "Đăng ký khai sinh", FieldCode: "HT", FieldName: "Hộ tịch"},
		Applicant:  wire.Applicant{Name: "Nguyễn Thị Hoà", IDNumber: "038190001234", Kind: wire.ApplicantPerson, Phone: "0912345678"},
		Summary:    "Đăng ký khai sinh cho cháu An",
		Channel:    wire.ChannelInPerson,
		ReceivedAt: received, DueAt: &due,
		Status:     wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy: "u-01",
		Components: comps,
		Fees:       []wire.Fee{{Name: "Lệ phí", Kind: "charge", Amount: 8000, Method: "cash", Paid: true}},
	}
}

func event(d wire.Dossier, action, from, to string, national int) wire.Event {
	return wire.Event{
		ID: newID(), DossierID: d.ID, Action: action, From: from, To: to, NationalStatus: national,
		At: time.Date(2026, 3, 2, 9, 0, 0, 0, ict), Actor: "u-01", ActorName: "Trần Văn Bình",
	}
}

func ref(data []byte) wire.BlobRef {
	return wire.BlobRef{SHA256: wire.SumHex(data), Size: int64(len(data)), MediaType: "application/pdf", Name: "scan.pdf"}
}

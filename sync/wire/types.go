package wire

import "time"

// HealthMarker is the value of HealthResponse.Marker. A commune treats the
// hub as reachable only when a health answer carries it and echoes the
// challenge it sent: a captive portal or a proxy error page answering 200 is
// not the hub.
const HealthMarker = "motcua-hub/v1"

// HealthResponse answers GET /v1/health?challenge=C.
type HealthResponse struct {
	Marker      string    `json:"marker"`
	Challenge   string    `json:"challenge"` // C, echoed
	Protocol    string    `json:"protocol"`  // the hub's Current
	MinProtocol string    `json:"min_protocol"`
	HubTime     time.Time `json:"hub_time"` // lets a device measure its clock offset
	Database    string    `json:"database"` // "ok" or "unavailable"
}

// EnrolRequest is sent once by a new device with the one-time code a hub
// admin gave the commune. The device generates its Ed25519 key pair first and
// keeps the private key; Proof is its signature over EnrolProofMessage, so
// nobody can enrol a key they do not hold. Sending the same request again
// (the answer was lost) returns the same device: the code is bound to the
// key that first used it.
type EnrolRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"` // shown to hub admins, e.g. "Máy một cửa 1"
	PublicKey  []byte `json:"public_key"`  // 32 bytes, base64 in JSON
	Proof      []byte `json:"proof"`       // 64 bytes, base64 in JSON
	AppVersion string `json:"app_version,omitempty"`
}

// EnrolResponse names the enrolled device and the commune it writes for.
type EnrolResponse struct {
	DeviceID    string    `json:"device_id"`
	CommuneCode string    `json:"commune_code"`
	CommuneName string    `json:"commune_name"`
	EnrolledAt  time.Time `json:"enrolled_at"`
}

// National status codes (TrangThaiHoSo of the national portal).
const (
	StatusRegistered      = 1  // Mới đăng ký
	StatusReceived        = 2  // Được tiếp nhận
	StatusRefused         = 3  // Không được tiếp nhận
	StatusProcessing      = 4  // Đang xử lý
	StatusSupplement      = 5  // Yêu cầu bổ sung giấy tờ
	StatusPayment         = 6  // Yêu cầu thực hiện nghĩa vụ tài chính
	StatusWithdrawn       = 7  // Công dân yêu cầu rút hồ sơ
	StatusStopped         = 8  // Dừng xử lý
	StatusDone            = 9  // Đã xử lý xong
	StatusResultsReturned = 10 // Đã trả kết quả
)

// Applicant kinds (LoaiDoiTuong 1–4), channels (KenhThucHien 1–3) and return
// methods (HinhThuc 0–1). The strings are the commune's vocabulary; the hub
// maps them to the national codes on export.
const (
	ApplicantPerson       = "person"
	ApplicantEnterprise   = "enterprise"
	ApplicantStateAgency  = "state_agency"
	ApplicantOrganisation = "organisation"

	ChannelInPerson = "in_person"
	ChannelOnline   = "online"
	ChannelPostal   = "postal"

	ReturnInPerson = "in_person"
	ReturnPost     = "post"
)

// Dossier is a dossier as the commune received it (the reception snapshot).
// It is pushed once; everything that happens to it afterwards travels as
// Events, and the hub's own processing comes back as Changes.
type Dossier struct {
	ID          string `json:"id"`           // minted on the commune: UUIDv7 or ULID
	Code        string `json:"code"`         // mã hồ sơ, e.g. 000.17.22.H56-260302-0007
	CommuneCode string `json:"commune_code"` // owning commune: must be the device's
	// AgencyCode is the e-ID of the agency that decides the dossier when it is
	// not the commune itself (empty otherwise).
	AgencyCode   string      `json:"agency_code,omitempty"`
	Procedure    Procedure   `json:"procedure"`
	Applicant    Applicant   `json:"applicant"`
	Summary      string      `json:"summary,omitempty"` // trích yếu, ≤ 1000 characters
	Channel      string      `json:"channel"`
	ReturnMethod string      `json:"return_method,omitempty"` // registered at reception
	ReceivedAt   time.Time   `json:"received_at"`             // device time
	DueAt        *time.Time  `json:"due_at,omitempty"`        // hẹn trả; absent while awaiting supplement
	Status       Status      `json:"status"`
	ReceivedBy   string      `json:"received_by"` // user ID of the clerk
	Components   []Component `json:"components"`
	Fees         []Fee       `json:"fees,omitempty"`
}

// Procedure identifies the administrative procedure (TTHC).
type Procedure struct {
	Code      string `json:"code"` // mã TTHC, e.g. 1.001193 or a local 2.000815.000.00.00.H61
	Name      string `json:"name"`
	FieldCode string `json:"field_code,omitempty"` // lĩnh vực
	FieldName string `json:"field_name,omitempty"`
}

// Applicant is the chủ hồ sơ.
type Applicant struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"` // personal ID (12 digits), or tax/organisation code
	Kind     string `json:"kind"`                // Applicant* constants
	Address  string `json:"address,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
}

// Status is where a dossier is: the national code (1–10) and the commune's
// own finer state (app/dossier's State values, e.g. "transferred").
type Status struct {
	National int    `json:"national"`
	State    string `json:"state"`
}

// Component is one paper of the dossier (thành phần hồ sơ) with its scans.
type Component struct {
	Code      string `json:"code,omitempty"` // mã thành phần hồ sơ
	Name      string `json:"name"`
	Digitised bool   `json:"digitised"` // được số hóa
	// Reused is a paper taken from the applicant's data store rather than
	// submitted again (được tái sử dụng); FromNationalDB one retrieved from a
	// national database (được lấy từ kho DMQG).
	Reused         bool      `json:"reused,omitempty"`
	FromNationalDB bool      `json:"from_national_db,omitempty"`
	Blobs          []BlobRef `json:"blobs,omitempty"`
}

// BlobRef points to a file on the hub by content. The hub refuses a record
// whose blobs it lacks or holds with another size.
type BlobRef struct {
	SHA256    string `json:"sha256"` // lowercase hex
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	Name      string `json:"name,omitempty"` // file name shown to people
}

// Fee is a fee or charge (phí, lệ phí) of the dossier, in VND.
type Fee struct {
	Code   string `json:"code,omitempty"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`             // "fee" (phí) or "charge" (lệ phí)
	Amount int64  `json:"amount"`           // VND
	Method string `json:"method,omitempty"` // how it was collected: "cash", "transfer", "online"
	Paid   bool   `json:"paid"`
}

// Event is one action done at the commune on a dossier (app/dossier's Event
// on the wire). From is the state the clerk saw; the hub refuses the event
// with CodeStateConflict when its copy of the dossier is elsewhere, because
// the processing agency owns processing and may have moved it.
type Event struct {
	ID             string    `json:"id"` // minted on the commune
	DossierID      string    `json:"dossier_id"`
	Action         string    `json:"action"` // app/dossier Action values
	From           string    `json:"from"`
	To             string    `json:"to"`
	NationalStatus int       `json:"national_status"` // of To
	At             time.Time `json:"at"`              // device time: legal deadlines use it
	Actor          string    `json:"actor"`
	ActorName      string    `json:"actor_name,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	Note           string    `json:"note,omitempty"`

	// The payload; each action uses a few of these.
	DueAt           *time.Time  `json:"due_at,omitempty"`      // new appointment
	PrevDueAt       *time.Time  `json:"prev_due_at,omitempty"` // the appointment DueAt replaces
	Agency          *Agency     `json:"agency,omitempty"`      // lead/next agency of a transfer
	Assignee        string      `json:"assignee,omitempty"`
	Giver           string      `json:"giver,omitempty"`
	Receiver        string      `json:"receiver,omitempty"`
	SupplementItems []string    `json:"supplement_items,omitempty"`
	Amount          int64       `json:"amount,omitempty"` // VND
	ReturnMethod    string      `json:"return_method,omitempty"`
	ReceiverName    string      `json:"receiver_name,omitempty"`
	ReceiverID      string      `json:"receiver_id,omitempty"`
	PostalTracking  string      `json:"postal_tracking,omitempty"`
	Components      []Component `json:"components,omitempty"` // papers added by this action (e.g. a supplement)
}

// ActionAttachScans is an event that adds the digitised copies of papers
// (Components with Blobs) to a dossier without moving it: scanning often
// finishes after the reception was sent, and processing may have moved the
// dossier on the hub meanwhile, so the hub takes it in any state (From and
// To say what the commune saw) and never changes the state for it.
const ActionAttachScans = "attach_scans"

// Agency names an agency by its e-ID code.
type Agency struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Limits of one push.
const (
	MaxPushItems = 500
	MaxPushBytes = 8 << 20 // decompressed
)

// PushRequest carries dossiers and events. The hub stores dossiers first,
// then events in order, so an event may follow its dossier in the same
// batch. Send a dossier's blobs before it.
type PushRequest struct {
	Dossiers []Dossier `json:"dossiers,omitempty"`
	Events   []Event   `json:"events,omitempty"`
}

// Outcomes of one pushed item.
const (
	OutcomeCreated   = "created"   // stored now
	OutcomeDuplicate = "duplicate" // stored before with the same content; HubReceivedAt is the first reception
	OutcomeConflict  = "conflict"  // not stored: the hub holds something else (Code, Reason); a person decides
	OutcomeRejected  = "rejected"  // not stored: the item is wrong (Code, Reason); resending it unchanged fails again
)

// PushResponse answers a well-formed, authenticated push with one result per
// item, aligned by index with the request's Dossiers and Events.
type PushResponse struct {
	Dossiers []ItemResult `json:"dossiers"`
	Events   []ItemResult `json:"events"`
}

// ItemResult is the hub's answer about one dossier or event.
type ItemResult struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	// Status is the HTTP status this item would have had on its own
	// (201, 200, 409, 422, 403): the per-item 4xx of a batch.
	Status        int        `json:"status"`
	Code          string     `json:"code,omitempty"`
	Reason        string     `json:"reason,omitempty"` // Vietnamese, for the clerk
	HubReceivedAt *time.Time `json:"hub_received_at,omitempty"`
	// Missing lists the blobs a CodeBlobMissing/CodeBlobMismatch item needs.
	Missing []string `json:"missing,omitempty"`
}

// Accepted reports whether the hub holds the item: the outbox may mark it
// synced (and only then).
func (r ItemResult) Accepted() bool {
	return r.Outcome == OutcomeCreated || r.Outcome == OutcomeDuplicate
}

// Kinds of hub-side change.
const (
	ChangeStatus = "status" // the processing agency moved the dossier
	ChangeResult = "result" // result papers are attached (and usually a status)
	ChangeNote   = "note"   // a processing note only
)

// MaxPullLimit bounds the changes of one pull page.
const MaxPullLimit = 1000

// PullResponse answers GET /v1/changes?since=CURSOR&limit=N. Apply Changes
// in order, idempotently by Change.ID, persist Cursor with them, and ask
// again while More is true. An empty since starts from the beginning.
type PullResponse struct {
	Changes []Change `json:"changes"`
	Cursor  string   `json:"cursor"` // opaque
	More    bool     `json:"more"`
	// Reference lists the documents the province publishes (catalog,
	// holiday overrides), on every page; omitted by hubs that publish none.
	Reference []ReferenceDoc `json:"reference,omitempty"`
}

// Change is something the hub's staff did to one of the commune's dossiers.
// Action/From/To use the commune's vocabulary (app/dossier), so the desk can
// run it through its own state machine.
type Change struct {
	ID              string        `json:"id"`
	Kind            string        `json:"kind"`
	DossierID       string        `json:"dossier_id"`
	DossierCode     string        `json:"dossier_code"`
	Action          string        `json:"action,omitempty"`
	From            string        `json:"from,omitempty"`
	To              string        `json:"to,omitempty"`
	NationalStatus  int           `json:"national_status,omitempty"`
	At              time.Time     `json:"at"` // hub time of the staff action
	Actor           string        `json:"actor"`
	ActorName       string        `json:"actor_name,omitempty"`
	Agency          *Agency       `json:"agency,omitempty"` // the agency that acted
	Reason          string        `json:"reason,omitempty"`
	Note            string        `json:"note,omitempty"`
	DueAt           *time.Time    `json:"due_at,omitempty"`
	PrevDueAt       *time.Time    `json:"prev_due_at,omitempty"`
	SupplementItems []string      `json:"supplement_items,omitempty"`
	Amount          int64         `json:"amount,omitempty"`
	Results         []ResultPaper `json:"results,omitempty"`
}

// ResultPaper is a result document (giấy tờ kết quả) with its file.
type ResultPaper struct {
	Code string  `json:"code,omitempty"` // mã giấy tờ kết quả
	Name string  `json:"name"`
	Blob BlobRef `json:"blob"`
}

// MaxMissingQuery bounds one MissingRequest.
const MaxMissingQuery = 1000

// MissingRequest asks which of these blobs the hub lacks.
type MissingRequest struct {
	Blobs []BlobSize `json:"blobs"`
}

// BlobSize is a blob's address and length.
type BlobSize struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// MissingResponse lists the blobs to upload, each with the offset the hub
// already holds, so an interrupted upload resumes without a HEAD.
type MissingResponse struct {
	Missing []MissingBlob `json:"missing"`
}

// MissingBlob is a blob the hub does not hold completely.
type MissingBlob struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Offset int64  `json:"offset"`
}

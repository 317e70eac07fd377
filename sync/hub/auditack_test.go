package hub

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"motcua/sync/wire"
)

// TestAuditConflictAcknowledgement: an admin acknowledges a device's audit
// conflicts with a required note; who, when and the note are kept; a
// double submit records once; staff without the role, a stale view and an
// empty note are refused; a new conflict makes the device unacknowledged
// again, and every acknowledgement and conflict stays. The table refuses
// UPDATE, DELETE and TRUNCATE.
func TestAuditConflictAcknowledgement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.enrol(communeA)
	chain := auditChain(1, wire.AuditGenesis, 4)
	c.audit(chain, 4)
	admin, err := e.srv.CreateStaff(ctx, NewStaff{Username: "quantri", FullName: "Trịnh Minh Đức", Password: "mật khẩu dài đủ mạnh 2026", Role: RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	official, err := e.srv.CreateStaff(ctx, NewStaff{Username: "le.thu.ha", FullName: "Lê Thu Hà", Password: "mật khẩu dài đủ mạnh 2026"})
	if err != nil {
		t.Fatal(err)
	}
	const note = "Xã khôi phục bản sao lưu ngày 01/03 sau sự cố ổ đĩa; đã đối chiếu biên bản."

	// Nothing to acknowledge yet.
	if _, err := e.srv.AcknowledgeAuditConflicts(ctx, c.id, 0, note, admin); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no conflict: %v", err)
	}
	rewritten := append([]wire.AuditEntry(nil), chain...)
	rewritten[2].Actor = "ke_gian"
	rehash(rewritten, 2)
	c.audit(rewritten[2:], 4) // entry 3 differs (the batch stops there)
	c.audit(rewritten[3:], 4) // and entry 4: two conflicts
	if ch := e.chain(c.id); ch.Conflicts != 2 || ch.Acknowledged() || ch.LastAck() != nil {
		t.Fatalf("before: %+v", ch)
	}

	for _, tt := range []struct {
		name  string
		seen  int
		note  string
		staff Staff
		want  error
	}{
		{"an official without the admin role", 2, note, official, ErrNotAllowed},
		{"an empty note", 2, "  \n ", admin, ErrInvalid},
		{"an overlong note", 2, strings.Repeat("ghi chú ", 70), admin, ErrInvalid},
		{"a stale view", 1, note, admin, ErrAuditChanged},
		{"an unknown device", 2, note, admin, ErrNotFound},
	} {
		dev := c.id
		if tt.name == "an unknown device" {
			dev = "dev-nobody"
		}
		if _, err := e.srv.AcknowledgeAuditConflicts(ctx, dev, tt.seen, tt.note, tt.staff); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := e.count("audit_conflict_acks"); n != 0 {
		t.Fatalf("%d acknowledgements after refusals", n)
	}

	ack, err := e.srv.AcknowledgeAuditConflicts(ctx, c.id, 2, "  "+note+"  ", admin)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Conflicts != 2 || ack.FirstSeq != 3 || ack.Note != note || ack.Username != "quantri" || ack.FullName != "Trịnh Minh Đức" || ack.At.IsZero() {
		t.Fatalf("ack %+v", ack)
	}
	again, err := e.srv.AcknowledgeAuditConflicts(ctx, c.id, 2, "bấm hai lần", admin)
	if err != nil || again.ID != ack.ID || again.Note != note {
		t.Fatalf("double submit: %+v %v", again, err)
	}
	ch := e.chain(c.id)
	if !ch.Acknowledged() || ch.Continuous() || ch.Conflicts != 2 || ch.ConflictSeq != 3 || ch.LastAck().ID != ack.ID {
		t.Fatalf("after: %+v", ch)
	}

	// Append-only, even for the hub's own database role.
	for _, q := range []string{
		"UPDATE audit_conflict_acks SET note = 'không có gì'",
		"DELETE FROM audit_conflict_acks",
		"TRUNCATE audit_conflict_acks",
	} {
		_, err := e.srv.DB().Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}

	// A new conflict: unacknowledged again; the history keeps both.
	bad := auditChain(5, chain[3].Hash, 1)
	bad[0].Summary = "khác"
	c.audit(bad, 5)
	if ch := e.chain(c.id); ch.Acknowledged() || ch.Conflicts != 3 {
		t.Fatalf("a new conflict: %+v", ch)
	}
	second, err := e.srv.AcknowledgeAuditConflicts(ctx, c.id, 3, "Mục 5 do lỗi phần mềm cũ, đã cập nhật.", admin)
	if err != nil {
		t.Fatal(err)
	}
	ch = e.chain(c.id)
	if !ch.Acknowledged() || len(ch.Acks) != 2 || ch.Acks[0].ID != ack.ID || ch.Acks[1].ID != second.ID || e.count("audit_conflicts") != 3 {
		t.Fatalf("history: %+v", ch)
	}
}

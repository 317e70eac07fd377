package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
)

// fuzzDesk is the real API handler over a real store, built once per fuzz
// worker: opening Badger per input would make each execution cost a
// directory and an fsync, and the fuzzer would crawl.
type fuzzDesk struct {
	dirs    []string
	st      *store.Store
	h       http.Handler
	stored  int      // 2xx answers since the store was opened
	dossier []string // IDs of dossiers the action fuzzer acts on
}

// fuzzResetAfter bounds how many successful writes a store collects before
// the harness starts over, so the per-input store digest stays cheap.
const fuzzResetAfter = 64

func newFuzzDesk(f *testing.F) *fuzzDesk {
	f.Helper()
	d := &fuzzDesk{}
	f.Cleanup(func() {
		d.st.Close()
		for _, dir := range d.dirs {
			os.RemoveAll(dir)
		}
	})
	d.open(f)
	return d
}

// open starts over on a new store. The directory is not tb.TempDir: inside
// the fuzz target that would vanish at the end of the one input.
func (d *fuzzDesk) open(tb testing.TB) {
	tb.Helper()
	if d.st != nil {
		d.st.Close()
		os.RemoveAll(d.dirs[len(d.dirs)-1])
	}
	dir, err := os.MkdirTemp("", "motcua-fuzz-")
	if err != nil {
		tb.Fatal(err)
	}
	d.dirs = append(d.dirs, dir)
	st, err := store.Open(store.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	off := office.NewService(st)
	rec, err := reception.New(st, off)
	if err != nil {
		tb.Fatalf("reception: %v", err)
	}
	d.st = st
	d.h = New(Config{Version: "fuzz", Office: off, Store: st, Reception: rec,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d.stored = 0
	if code, body := d.serve("PUT", "/api/settings", []byte(validSettings)); code != 200 {
		tb.Fatalf("settings: %d %s", code, body)
	}
	// Dossiers in different states give the action fuzzer more of the
	// state machine to reach.
	d.dossier = nil
	for i, b := range []string{
		receptionBody("fuzz-seed-1", "001190012345"),
		strings.Replace(receptionBody("fuzz-seed-2", "001190012346"), `"outcome":"complete"`,
			`"outcome":"incomplete","supplementItems":["Bản sao giấy khai sinh"],"reason":"Thiếu giấy tờ"`, 1),
		receptionBody("fuzz-seed-3", "001190012347"),
	} {
		code, body := d.serve("POST", "/api/dossiers", []byte(b))
		var out struct {
			Dossier struct{ ID string } `json:"dossier"`
		}
		if code != 201 || json.Unmarshal(body, &out) != nil || out.Dossier.ID == "" {
			tb.Fatalf("seed dossier %d: %d %s", i, code, body)
		}
		d.dossier = append(d.dossier, out.Dossier.ID)
	}
	if code, body := d.serve("POST", "/api/dossiers/"+d.dossier[2]+"/actions",
		[]byte(`{"requestId":"fuzz-seed-4","action":"record_result","resultDocs":["Bản sao đã chứng thực"]}`)); code != 200 {
		tb.Fatalf("seed action: %d %s", code, body)
	}
}

func (d *fuzzDesk) serve(method, path string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// digest hashes every key and value of the store: two equal digests mean
// nothing was written in between, whatever table a write would touch.
func (d *fuzzDesk) digest(tb testing.TB) [32]byte {
	tb.Helper()
	h := sha256.New()
	var n [8]byte
	err := d.st.View(func(x *store.Txn) error {
		return x.Scan(nil, nil, false, false, func(k, v []byte) (bool, error) {
			for _, b := range [][]byte{k, v} {
				binary.BigEndian.PutUint64(n[:], uint64(len(b)))
				h.Write(n[:])
				h.Write(b)
			}
			return true, nil
		})
	})
	if err != nil {
		tb.Fatalf("digest: %v", err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// wrote counts a successful write and starts over on a fresh store when
// enough have piled up.
func (d *fuzzDesk) wrote(tb testing.TB) {
	d.stored++
	if d.stored >= fuzzResetAfter {
		d.open(tb)
	}
}

// checkAnswer asserts the API contract for any body: 2xx, or a 4xx JSON
// envelope with a machine code and a Vietnamese message; never 5xx.
func checkAnswer(t *testing.T, in []byte, code int, body []byte) {
	t.Helper()
	if code >= 200 && code < 300 {
		if !json.Valid(body) {
			t.Fatalf("input %q: %d answer is not JSON: %q", in, code, body)
		}
		return
	}
	if code < 400 || code >= 500 {
		t.Fatalf("input %q: status %d (%s), want 2xx or 4xx", in, code, body)
	}
	var env struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("input %q: %d answer is not the JSON envelope: %v: %q", in, code, err, body)
	}
	if env.Error.Code == "" {
		t.Fatalf("input %q: %d envelope without a code: %s", in, code, body)
	}
	if !vietnamese(env.Error.Message) {
		t.Fatalf("input %q: %d message %q is not a Vietnamese sentence", in, code, env.Error.Message)
	}
	for f, m := range env.Error.Fields {
		if m == "" || !utf8.ValidString(m) || !norm.NFC.IsNormalString(m) {
			t.Fatalf("input %q: field %q has message %q", in, f, m)
		}
	}
}

// vietnamese is a cheap stand-in for "a person can read it": valid NFC
// UTF-8 with at least one Vietnamese letter (every message names a field or
// a problem in words with diacritics).
func vietnamese(s string) bool {
	if s == "" || !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.Is(unicode.Latin, r) {
			return true
		}
	}
	return false
}

// FuzzReceiveBody sends arbitrary bodies to POST /api/dossiers.
func FuzzReceiveBody(f *testing.F) {
	d := newFuzzDesk(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := d.digest(t)
		code, out := d.serve("POST", "/api/dossiers", body)
		checkAnswer(t, body, code, out)
		if code >= 400 {
			if d.digest(t) != before {
				t.Fatalf("input %q: %d answer but the store changed", body, code)
			}
			return
		}
		var first struct {
			Dossier   struct{ ID, Code string } `json:"dossier"`
			Duplicate bool                      `json:"duplicate"`
		}
		if err := json.Unmarshal(out, &first); err != nil || first.Dossier.ID == "" || first.Dossier.Code == "" {
			t.Fatalf("input %q: %d answer without a dossier: %s", body, code, out)
		}
		if (code == 201) == first.Duplicate {
			t.Fatalf("input %q: status %d with duplicate=%v", body, code, first.Duplicate)
		}
		// A double submit must answer the first dossier and write nothing.
		after := d.digest(t)
		code2, out2 := d.serve("POST", "/api/dossiers", body)
		var again struct {
			Dossier   struct{ ID, Code string } `json:"dossier"`
			Duplicate bool                      `json:"duplicate"`
		}
		json.Unmarshal(out2, &again)
		if code2 != 200 || !again.Duplicate || again.Dossier != first.Dossier {
			t.Fatalf("input %q: replay answered %d %s, want 200 duplicate of %+v", body, code2, out2, first.Dossier)
		}
		if d.digest(t) != after {
			t.Fatalf("input %q: replay changed the store", body)
		}
		d.wrote(t)
	})
}

// FuzzActionBody sends arbitrary bodies to POST /api/dossiers/{id}/actions
// for one of a few dossiers in different states, or an unknown ID.
func FuzzActionBody(f *testing.F) {
	d := newFuzzDesk(f)
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		id := "0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10" // not in the store
		if i := int(pick) % (len(d.dossier) + 1); i < len(d.dossier) {
			id = d.dossier[i]
		}
		path := "/api/dossiers/" + id + "/actions"
		before := d.digest(t)
		code, out := d.serve("POST", path, body)
		checkAnswer(t, body, code, out)
		if code >= 400 {
			if d.digest(t) != before {
				t.Fatalf("input %q on %s: %d answer but the store changed", body, id, code)
			}
			return
		}
		var first struct {
			Dossier struct{ ID string }         `json:"dossier"`
			Event   struct{ ID, Action string } `json:"event"`
		}
		if err := json.Unmarshal(out, &first); err != nil || first.Dossier.ID != id || first.Event.ID == "" {
			t.Fatalf("input %q: %d answer without the dossier and its new event: %s", body, code, out)
		}
		after := d.digest(t)
		code2, out2 := d.serve("POST", path, body)
		var again struct {
			Event     struct{ ID, Action string } `json:"event"`
			Duplicate bool                        `json:"duplicate"`
		}
		json.Unmarshal(out2, &again)
		if code2 != 200 || !again.Duplicate || again.Event != first.Event {
			t.Fatalf("input %q: replay answered %d %s, want the same event %+v", body, code2, out2, first.Event)
		}
		if d.digest(t) != after {
			t.Fatalf("input %q: replay changed the store", body)
		}
		d.wrote(t)
	})
}

// FuzzSettingsBody sends arbitrary bodies to PUT /api/settings.
func FuzzSettingsBody(f *testing.F) {
	d := newFuzzDesk(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := d.digest(t)
		code, out := d.serve("PUT", "/api/settings", body)
		checkAnswer(t, body, code, out)
		if code >= 400 {
			if d.digest(t) != before {
				t.Fatalf("input %q: %d answer but the store changed", body, code)
			}
			return
		}
		// What was saved is what GET answers.
		gcode, got := d.serve("GET", "/api/settings", nil)
		var a, b settingsResponse
		if gcode != 200 || json.Unmarshal(out, &a) != nil || json.Unmarshal(got, &b) != nil || !a.Configured ||
			fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("input %q: saved %s, read back %d %s", body, out, gcode, got)
		}
		d.wrote(t)
	})
}

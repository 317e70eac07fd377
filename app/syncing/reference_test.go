package syncing

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"motcua/app/reception"
	"motcua/sync/wire"
)

// testReference installs published documents as the app does (app/cli).
type testReference struct{ rec *reception.Service }

func (r testReference) InstallReference(ctx context.Context, doc wire.ReferenceDoc, raw []byte) error {
	by := reception.Actor{ID: "hub", Role: "hub"}
	if doc.Kind == wire.ReferenceCalendar {
		_, err := r.rec.SetHolidayOverride(ctx, doc.Year, raw, by)
		return err
	}
	_, err := r.rec.ImportCatalog(ctx, bytes.NewReader(raw), true, by)
	return err
}

// TestPublishedDocumentsReachTheDesk: a catalog and a holiday override the
// province drops in the hub's reference folder are installed at the desk on
// its next pull, once; an older catalog is refused and changes nothing.
func TestPublishedDocumentsReachTheDesk(t *testing.T) {
	e := newHubEnv(t)
	var d *desk
	d = newDesk(t, commune, func(c *Config) { c.Reference = lazyReference{&d} })
	ctx := context.Background()

	// The province's catalog: the desk's own, one version up, one name changed.
	raw, err := d.rec.Catalog().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	version := int(doc["version"].(float64))
	doc["version"] = version + 1
	procs := doc["procedures"].([]any)
	first := procs[0].(map[string]any)
	renamed := first["name"].(string) + " (bản cập nhật của tỉnh)"
	first["name"] = renamed
	newer, _ := json.Marshal(doc)
	writeRef(t, e, "catalog.json", newer)
	writeRef(t, e, "calendar-2027.json", []byte(`{"year": 2027, "source": "Công văn của UBND tỉnh (thử)",
		"days_off": [{"date": "2027-05-03", "name": "Nghỉ bù"}], "working_days": [{"date": "2027-05-08", "name": "Làm bù"}]}`))

	d.enrol(e)
	d.sync.Start(d.rec)
	waitFor(t, 30*time.Second, "the province's catalog at the desk", func() bool { return d.rec.Catalog().Version == version+1 })
	if p, err := d.rec.Catalog().Lookup(first["code"].(string)); err != nil || p.Name != renamed {
		t.Fatalf("procedure after the update: %+v", p)
	}
	waitFor(t, 30*time.Second, "the 2027 holidays at the desk", func() bool {
		yc, err := d.rec.HolidayCalendar(ctx, 2027)
		return err == nil && yc.Override != nil && strings.Contains(yc.Override.Source, "thử")
	})

	// An older catalog published by mistake: refused, the desk keeps its own.
	doc["version"] = version
	older, _ := json.Marshal(doc)
	writeRef(t, e, "catalog.json", older)
	d.sync.SyncNow()
	waitFor(t, 30*time.Second, "the older catalog to be seen", func() bool {
		st, _ := loadState(d.st)
		return st.Reference["catalog.json"] == wire.SumHex(older)
	})
	if v := d.rec.Catalog().Version; v != version+1 {
		t.Fatalf("catalog version %d after an older one was published", v)
	}
}

type lazyReference struct{ d **desk }

func (l lazyReference) InstallReference(ctx context.Context, doc wire.ReferenceDoc, raw []byte) error {
	return testReference{(*l.d).rec}.InstallReference(ctx, doc, raw)
}

func writeRef(t *testing.T, e *hubEnv, name string, b []byte) {
	t.Helper()
	// Written beside and renamed, as a careful publisher does.
	tmp := filepath.Join(e.refDir, "."+name)
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(e.refDir, name)); err != nil {
		t.Fatal(err)
	}
}

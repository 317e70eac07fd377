package hub

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics are hand-written Prometheus counters: a handful of series do not
// justify a dependency. Series are keyed by name and rendered label set.
type metrics struct {
	mu     sync.Mutex
	values map[string]map[string]float64 // name → labels → value
}

// families are every metric the hub exports, in output order.
var families = []struct{ name, typ, help string }{
	{"motcua_hub_auth_failures_total", "counter", "Refused device or admin authentications by reason."},
	{"motcua_hub_blob_bytes_received_total", "counter", "Blob bytes appended to uploads."},
	{"motcua_hub_blob_hash_mismatches_total", "counter", "Completed uploads whose bytes did not hash to their address."},
	{"motcua_hub_blobs_committed_total", "counter", "Blobs verified and made present."},
	{"motcua_hub_bodies_cut_total", "counter", "Request bodies cut off before their end (dropped connections)."},
	{"motcua_hub_chunks_refused_total", "counter", "Upload chunks not appended (cut, too large or wrong hash)."},
	{"motcua_hub_enrolments_total", "counter", "Devices enrolled."},
	{"motcua_hub_http_request_seconds", "summary", "Time spent answering requests, by route."},
	{"motcua_hub_http_requests_total", "counter", "HTTP requests by route and status."},
	{"motcua_hub_push_items_total", "counter", "Pushed dossiers and events by outcome."},
}

func newMetrics() *metrics { return &metrics{values: map[string]map[string]float64{}} }

func (m *metrics) add(name, labels string, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	series := m.values[name]
	if series == nil {
		series = map[string]float64{}
		m.values[name] = series
	}
	series[labels] += v
}

func (m *metrics) inc(name, labels string) { m.add(name, labels, 1) }

func label(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString("=")
		b.WriteString(strconv.Quote(pairs[i+1]))
	}
	return b.String()
}

func (m *metrics) request(route string, status int, d time.Duration) {
	m.inc("motcua_hub_http_requests_total", label("route", route, "code", strconv.Itoa(status)))
	m.add("motcua_hub_http_request_seconds_sum", label("route", route), d.Seconds())
	m.inc("motcua_hub_http_request_seconds_count", label("route", route))
}

func (m *metrics) pushItem(kind, outcome string) {
	m.inc("motcua_hub_push_items_total", label("kind", kind, "outcome", outcome))
}

func (m *metrics) authFailure(reason string) {
	m.inc("motcua_hub_auth_failures_total", label("reason", reason))
}

// value returns one series' value, for tests.
func (m *metrics) value(name, labels string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.values[name][labels]
}

// serve writes the Prometheus text exposition format, sorted so that two
// scrapes of the same state are byte-identical.
func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	m.mu.Lock()
	for _, f := range families {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		names := []string{f.name}
		if f.typ == "summary" {
			names = []string{f.name + "_sum", f.name + "_count"}
		}
		for _, n := range names {
			series := m.values[n]
			if len(series) == 0 && f.typ == "counter" && !strings.Contains(f.help, " by ") {
				// An unlabelled counter exists from the start at 0, so
				// rate() works from the first scrape.
				fmt.Fprintf(&b, "%s 0\n", n)
			}
			keys := make([]string, 0, len(series))
			for k := range series {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := strconv.FormatFloat(series[k], 'g', -1, 64)
				if k == "" {
					fmt.Fprintf(&b, "%s %s\n", n, v)
				} else {
					fmt.Fprintf(&b, "%s{%s} %s\n", n, k, v)
				}
			}
		}
	}
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}

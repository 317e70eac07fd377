package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash harness drives `motcua serve` with concurrent desk clients and
// SIGKILLs it at a random moment, over and over. CI runs a few rounds; the
// nightly-sized run is
//
//	MOTCUA_CRASH_ROUNDS=300 go test ./app/cli -run Crash -timeout 1h
//
// MOTCUA_CRASH_SEED repeats a run's random choices (kill delays, which
// client acts when); the seed is logged. The interleaving of the clients is
// up to the scheduler, so a replay is close to the run, not identical.

const crashWorkers = 4

// crashOp is one request a client sent: a reception or an action.
type crashOp struct {
	reqID   string
	path    string
	body    string
	dossier string // action: the dossier acted on
}

// crashLedger is what the clients know was acknowledged, and what they
// sent without learning the outcome.
type crashLedger struct {
	mu sync.Mutex
	// receptions by request ID → dossier ID and code from the 2xx answer.
	dossierOf map[string]string
	codeOf    map[string]string
	bodyOf    map[string]string
	// actions by request ID → dossier ID; the event ID is the request ID.
	actionOn map[string]string
	// inFlight are requests sent without an answer when the server died.
	inFlight []crashOp
	// next action per dossier, advanced only by an acknowledged action.
	nextAction map[string]int
	// auditLanded counts receptions and actions known to be stored.
	auditLanded int
}

// crashActions is the lifecycle each client walks a dossier through.
var crashActions = []string{
	`{"requestId":"%s","action":"record_result","resultDocs":["Bản sao đã chứng thực"],"note":"%[1]s"}`,
	`{"requestId":"%s","action":"return_result","returnMethod":"in_person","receiverName":"Nguyễn Văn An","note":"%[1]s"}`,
}

func crashReception(reqID string, n int) string {
	return fmt.Sprintf(`{"requestId":%q,"procedureCode":"2.000815",
	"applicant":{"kind":"person","name":"Nguyễn Văn An","idNumber":"0011900%05d","address":"","phone":"","email":""},
	"channel":"in_person","components":[],"sets":1,"outcome":"complete","resultDelivery":"in_person","note":%q}`,
		reqID, n%100000, reqID)
}

func crashRounds(t *testing.T) int {
	t.Helper()
	s := os.Getenv("MOTCUA_CRASH_ROUNDS")
	if s == "" {
		return 8
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("MOTCUA_CRASH_ROUNDS=%q: want a positive number", s)
	}
	return n
}

func crashSeed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv("MOTCUA_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MOTCUA_CRASH_SEED=%q: %v", s, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

var crashAuditRE = regexp.MustCompile(`toàn vẹn: (\d+) mục`)

// crashAuditVerify runs `motcua audit verify` on the stopped store and returns
// how many entries it checked; it fails the test unless the chain holds.
func crashAuditVerify(t *testing.T, dir string) int {
	t.Helper()
	code, out, errs := run(t, "audit", "verify", "--data", dir)
	m := crashAuditRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("audit verify: exit %d: %s %s", code, out, errs)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// crashPost sends body and decodes a JSON answer; err is set only when no answer
// came (the server died or the connection broke).
func crashPost(c *http.Client, url, body string) (int, map[string]any, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		// Headers arrived but the body did not: the answer was cut off.
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, out, nil
}

func crashGet(t *testing.T, c *http.Client, url string) map[string]any {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return out
}

func dossierIn(body map[string]any) (id, code string) {
	d, _ := body["dossier"].(map[string]any)
	id, _ = d["id"].(string)
	code, _ = d["code"].(string)
	return id, code
}

// crashClient receives dossiers and acts on them until the server dies.
// A non-2xx answer to a valid request is a failure even mid-crash: the
// server must answer correctly or not at all.
func (l *crashLedger) crashClient(t *testing.T, c *http.Client, base string, round, w int, rng *rand.Rand, stop <-chan struct{}) {
	var mine []string // dossiers this client received and may act on
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		op := crashOp{reqID: fmt.Sprintf("crash-r%04d-w%d-%05d", round, w, n)}
		l.mu.Lock()
		var acting string
		for _, id := range mine {
			if l.nextAction[id] < len(crashActions) {
				acting = id
				break
			}
		}
		l.mu.Unlock()
		if acting != "" && rng.IntN(3) == 0 {
			l.mu.Lock()
			tmpl := crashActions[l.nextAction[acting]]
			l.mu.Unlock()
			op.dossier, op.path, op.body = acting, "/api/dossiers/"+acting+"/actions", fmt.Sprintf(tmpl, op.reqID)
		} else {
			op.path, op.body = "/api/dossiers", crashReception(op.reqID, round*10000+w*1000+n)
		}
		status, out, err := crashPost(c, base+op.path, op.body)
		if err != nil {
			l.mu.Lock()
			l.inFlight = append(l.inFlight, op)
			l.mu.Unlock()
			return
		}
		if status != 200 && status != 201 {
			t.Errorf("%s %s: %d %v", op.reqID, op.path, status, out)
			return
		}
		l.mu.Lock()
		l.auditLanded++
		if op.dossier == "" {
			id, code := dossierIn(out)
			l.dossierOf[op.reqID], l.codeOf[op.reqID], l.bodyOf[op.reqID] = id, code, op.body
			mine = append(mine, id)
		} else {
			l.actionOn[op.reqID] = op.dossier
			l.nextAction[op.dossier]++
		}
		l.mu.Unlock()
	}
}

// TestCrashLosesNoAcknowledgedWrite: every acknowledged reception and action
// survives a SIGKILL, nothing lands twice or half, dossier codes are never
// reused, the audit chain verifies and the store opens after every kill.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	rounds, seed := crashRounds(t), crashSeed(t)
	t.Logf("rounds=%d MOTCUA_CRASH_SEED=%d", rounds, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Now()

	dir := t.TempDir()
	c := startServe(t, dir)
	putSettings(t, c.url, settingsBody)
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	// Setup and settings are audited too; receptions and actions come on top.
	baseline := crashAuditVerify(t, dir)

	l := &crashLedger{dossierOf: map[string]string{}, codeOf: map[string]string{}, bodyOf: map[string]string{},
		actionOn: map[string]string{}, nextAction: map[string]int{}}
	codeOwner := map[string]string{} // every dossier code ever seen → its dossier ID
	checked := map[string]bool{}     // dossiers whose detail was checked since their last change
	inFlight, landedTotal := 0, 0    // requests cut off by a kill, and how many of them had landed
	for round := 0; round < rounds; round++ {
		c := startServe(t, dir)
		client := authed(t, c.url)
		// A broken connection must not hang a client forever.
		client = &http.Client{Jar: client.Jar, Timeout: 20 * time.Second}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range crashWorkers {
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			wg.Go(func() { l.crashClient(t, client, c.url, round, w, wrng, stop) })
		}
		// Kill anywhere from the first requests to well into the load.
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		close(stop)
		wg.Wait()
		if t.Failed() {
			t.Fatalf("round %d: server errors:\n%s", round, crashServerErrors(c.errb.String()))
		}

		// The store opens cleanly after the kill and its chain holds.
		entries := crashAuditVerify(t, dir)

		c = startServe(t, dir)
		client = authed(t, c.url)
		// In-flight requests landed whole or not at all: resending settles
		// which, and afterwards each is stored exactly once.
		l.mu.Lock()
		pending := l.inFlight
		l.inFlight = nil
		l.mu.Unlock()
		landed := 0
		for _, op := range pending {
			status, out, err := crashPost(client, c.url+op.path, op.body)
			if err != nil || (status != 200 && status != 201) {
				t.Fatalf("round %d: resend %s: %d %v %v", round, op.reqID, status, out, err)
			}
			dup, _ := out["duplicate"].(bool)
			if dup {
				landed++
			}
			// A new reception answers 201; an action answers 200 either way.
			if op.dossier == "" && (status == 201) == dup {
				t.Fatalf("round %d: resend %s: status %d with duplicate=%v", round, op.reqID, status, dup)
			}
			l.auditLanded++
			if op.dossier == "" {
				id, code := dossierIn(out)
				l.dossierOf[op.reqID], l.codeOf[op.reqID], l.bodyOf[op.reqID] = id, code, op.body
			} else {
				l.actionOn[op.reqID] = op.dossier
				l.nextAction[op.dossier]++
				delete(checked, op.dossier)
			}
		}
		inFlight, landedTotal = inFlight+len(pending), landedTotal+landed
		// Each stored reception and action is one audit entry: a dossier
		// without its entry (or an entry without its dossier) shows here.
		if want := baseline + l.auditLanded - (len(pending) - landed); entries != want {
			t.Fatalf("round %d: %d audit entries after the kill, want %d (%d in flight, %d had landed)",
				round, entries, want, len(pending), landed)
		}

		verifyCrashStore(t, client, c.url, round, l, codeOwner, checked, rng)
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
	}
	t.Logf("%d rounds, %d dossiers, %d actions, %d requests cut off by a kill (%d had landed) in %s",
		rounds, len(l.dossierOf), len(l.actionOn), inFlight, landedTotal, time.Since(start).Round(time.Millisecond))
	if len(l.dossierOf) == 0 {
		t.Fatal("no reception was acknowledged in any round: the kills came too early to test anything")
	}
}

// verifyCrashStore checks the restarted server against the ledger.
func verifyCrashStore(t *testing.T, c *http.Client, base string, round int, l *crashLedger,
	codeOwner map[string]string, checked map[string]bool, rng *rand.Rand) {
	t.Helper()
	// Every dossier, by paging through the full list.
	type summary struct{ id, code, note string }
	var all []summary
	for cursor := ""; ; {
		page := crashGet(t, c, base+"/api/dossiers?list=all&limit=200&cursor="+cursor)
		for _, it := range page["items"].([]any) {
			d := it.(map[string]any)
			note, _ := d["note"].(string)
			all = append(all, summary{d["id"].(string), d["code"].(string), note})
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	byID, byReq, byCode := map[string]summary{}, map[string]summary{}, map[string]summary{}
	for _, d := range all {
		for _, idx := range []struct {
			m   map[string]summary
			key string
			of  string
		}{{byID, d.id, "id"}, {byReq, d.note, "request ID"}, {byCode, d.code, "code"}} {
			if prev, dup := idx.m[idx.key]; dup {
				t.Fatalf("round %d: two dossiers share %s %q: %+v and %+v", round, idx.of, idx.key, prev, d)
			}
			idx.m[idx.key] = d
		}
		if owner, seen := codeOwner[d.code]; seen && owner != d.id {
			t.Fatalf("round %d: code %s reused: was %s, now %s", round, d.code, owner, d.id)
		}
		codeOwner[d.code] = d.id
	}
	if len(all) != len(l.dossierOf) {
		t.Fatalf("round %d: %d dossiers stored, %d receptions acknowledged", round, len(all), len(l.dossierOf))
	}
	for req, id := range l.dossierOf {
		d, ok := byReq[req]
		if !ok || d.id != id || d.code != l.codeOf[req] {
			t.Fatalf("round %d: acknowledged reception %s (%s %s) came back as %+v (found %v)", round, req, id, l.codeOf[req], d, ok)
		}
	}

	// Dossiers new or changed since the last check: whole, with exactly
	// the events that were acknowledged, in order.
	events := map[string][]string{}
	for req, id := range l.actionOn {
		events[id] = append(events[id], req)
	}
	for req, id := range l.dossierOf {
		if checked[id] {
			continue
		}
		detail := crashGet(t, c, base+"/api/dossiers/"+id)
		evs, _ := detail["events"].([]any)
		if len(evs) != 1+len(events[id]) {
			t.Fatalf("round %d: dossier %s has %d events, want 1 + %d actions", round, id, len(evs), len(events[id]))
		}
		first := evs[0].(map[string]any)
		if first["id"] != req || !strings.HasPrefix(fmt.Sprint(first["action"]), "receive") {
			t.Fatalf("round %d: dossier %s does not start with its reception %s: %v", round, id, req, first)
		}
		got := map[string]bool{}
		for _, e := range evs[1:] {
			got[e.(map[string]any)["id"].(string)] = true
		}
		for _, a := range events[id] {
			if !got[a] {
				t.Fatalf("round %d: acknowledged action %s missing from dossier %s", round, a, id)
			}
		}
		checked[id] = true
	}

	// A sample of old acknowledgements, replayed: the same answer, nothing new.
	reqs := make([]string, 0, len(l.dossierOf))
	for req := range l.dossierOf {
		reqs = append(reqs, req)
	}
	for range min(5, len(reqs)) {
		req := reqs[rng.IntN(len(reqs))]
		status, out, err := crashPost(c, base+"/api/dossiers", l.bodyOf[req])
		id, code := dossierIn(out)
		if err != nil || status != 200 || out["duplicate"] != true || id != l.dossierOf[req] || code != l.codeOf[req] {
			t.Fatalf("round %d: replay of %s: %d %v %v", round, req, status, out, err)
		}
	}
}

// crashServerErrors keeps the server's error log lines: the request log of a
// busy round would bury them.
func crashServerErrors(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if strings.Contains(line, "ERROR") || strings.Contains(line, "panic") {
			b.WriteString(line)
		}
	}
	return b.String()
}

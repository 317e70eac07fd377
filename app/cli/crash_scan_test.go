package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"motcua/internal/scantest"
)

// TestCrashScanJobs imports scans through the API and SIGKILLs the server
// while the queue is working on them, several times. Every acknowledged
// import survives, and after the last restart every job completes with
// each page stored exactly once and a searchable PDF of all its pages.
func TestCrashScanJobs(t *testing.T) {
	t.Setenv("MOTCUA_SCAN_DPI", "150")
	t.Setenv("MOTCUA_SCAN_WORKERS", "2")
	rounds, seed := crashRounds(t), crashSeed(t)
	rounds = max(rounds/2, 3)
	rng := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	const pagesPerFile = 4
	acked := map[string]int{} // job ID -> file number
	upload := func(c *http.Client, base string, n int) (string, error) {
		pages := make([]image.Image, pagesPerFile)
		for p := range pages {
			g, err := scantest.RenderGray(append([]string{fmt.Sprintf("TỆP %d TRANG %d", n, p+1)}, scantest.Page(n+p, 8)...), 150)
			if err != nil {
				t.Fatal(err)
			}
			pages[p] = g
		}
		var b bytes.Buffer
		if err := scantest.WriteImagePDF(&b, pages, 150); err != nil {
			t.Fatal(err)
		}
		resp, err := c.Post(base+"/api/scans?name="+url.QueryEscape(fmt.Sprintf("tệp-%02d.pdf", n)), "application/pdf", &b)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("upload %d: %d %v", n, resp.StatusCode, out)
		}
		return out["job"].(map[string]any)["id"].(string), nil
	}
	n := 0
	for round := 0; round < rounds; round++ {
		c := startServe(t, dir)
		client := authed(t, c.url)
		client = &http.Client{Jar: client.Jar, Timeout: 20 * time.Second}
		for range 2 {
			id, err := upload(client, c.url, n)
			if err != nil {
				t.Fatalf("round %d: upload: %v", round, err)
			}
			acked[id] = n
			n++
		}
		// Kill while the queue works: between half a second and a few
		// seconds in, anywhere inside a page or a PDF assembly.
		time.Sleep(time.Duration(300+rng.IntN(2500)) * time.Millisecond)
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		if errs := crashServerErrors(c.errb.String()); errs != "" {
			t.Fatalf("round %d: server errors:\n%s", round, errs)
		}
	}

	c := startServe(t, dir)
	client := authed(t, c.url)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		list := crashGet(t, client, c.url+"/api/scans?limit=500")
		counts := list["counts"].(map[string]any)
		if counts["queued"] == 0.0 && counts["running"] == 0.0 {
			if int(counts["done"].(float64)) != len(acked) || counts["failed"] != 0.0 {
				t.Fatalf("after the crashes: %v, want %d done", counts, len(acked))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue did not finish: %v", counts)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for id, file := range acked {
		got := crashGet(t, client, c.url+"/api/scans/"+id)
		job := got["job"].(map[string]any)
		pages := got["pages"].([]any)
		if job["pages"] != float64(pagesPerFile) || job["done"] != float64(pagesPerFile) || len(pages) != pagesPerFile {
			t.Fatalf("job of file %d: %v with %d page records", file, job, len(pages))
		}
		for i, p := range pages {
			if pm := p.(map[string]any); pm["n"] != float64(i+1) || pm["pdfPage"] != float64(i+1) {
				t.Errorf("file %d page record %d: %v", file, i+1, pm)
			}
		}
		resp, err := client.Get(c.url + "/api/scans/" + id + "/pdf")
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text := pdfText(t, pdf)
		for p := 1; p <= pagesPerFile; p++ {
			if want := fmt.Sprintf("TRANG %d", p); strings.Count(text, want) != 1 {
				t.Errorf("file %d: PDF has %q %d times, want once", file, want, strings.Count(text, want))
			}
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	crashAuditVerify(t, dir)
	t.Logf("%d rounds, %d files of %d pages", rounds, len(acked), pagesPerFile)
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return scantest.Normalize(string(out))
}

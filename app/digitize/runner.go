package digitize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"motcua/app/audit"
	"motcua/app/blobs"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/app/vntext"
	"motcua/scanning"
	"motcua/scanning/searchpdf"
)

// SeparatorCode is the QR code of a separator sheet: it ends the document
// bound by the cover page before it.
const SeparatorCode = "MOTCUA:TACH"

// Wake makes the runner look at the queue now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run processes queued jobs until ctx ends: scans of a dossier first, then
// loose scans, then archive batches, oldest first within each class
// (store.ScanQueueClass). A long job gives way between two pages to a job of
// an earlier class that arrives meanwhile. A job interrupted so, by the end
// of ctx or by a crash stays queued and resumes at its first page not
// stored.
func (s *Service) Run(ctx context.Context) {
	if s.engine == nil {
		return
	}
	for ctx.Err() == nil {
		id, err := s.next()
		if err != nil {
			s.log.Error("scan queue", "err", err)
		}
		if id == "" {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-time.After(time.Minute):
			}
			continue
		}
		if err := s.process(ctx, id); err != nil && ctx.Err() == nil {
			// A store or disk error, not the file's fault: wait before
			// trying again rather than spin.
			s.log.Error("scan job", "job", id, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		}
	}
}

// next returns the first job of the queue and its class; "" when the queue
// is empty.
func (s *Service) next() (string, error) {
	id, _, err := s.head()
	return id, err
}

func (s *Service) head() (id string, class uint8, err error) {
	err = s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixScanRunQueue(), nil, false, true, func(k, _ []byte) (bool, error) {
			class, id = store.ScanRunQueueEntry(k)
			return false, nil
		})
	})
	return id, class, err
}

// queueClass is the job's class in the run queue.
func queueClass(j *Job) uint8 { return store.ScanQueueClass(j.DossierID, j.BatchID) }

// queueKey is the job's key in the run queue while it is queued or
// running.
func queueKey(j *Job) []byte { return store.KeyScanRunQueue(queueClass(j), j.Enqueued, j.ID) }

// errGiveWay stops a job between pages for a job of an earlier class.
var errGiveWay = errors.New("gave way to a scan of an earlier class")

// giveWayTo returns the job that running job id must give way to: the first
// of the queue when it is another job of an earlier class; "" otherwise.
func (s *Service) giveWayTo(id string) (string, error) {
	first, class, err := s.head()
	if err != nil || first == "" || first == id {
		return "", err
	}
	var j Job
	if err := s.st.View(func(x *store.Txn) error { return s.getJob(x, id, &j) }); err != nil {
		return "", err
	}
	if class < queueClass(&j) {
		return first, nil
	}
	return "", nil
}

// process runs one job to its end, or until ctx ends.
func (s *Service) process(ctx context.Context, id string) error {
	var job Job
	stored := 0
	err := s.st.Update(func(x *store.Txn) error {
		if err := s.getJob(x, id, &job); err != nil {
			return err
		}
		stored = 0
		if err := x.Scan(store.PrefixScanPages(id), nil, false, true, func(_, _ []byte) (bool, error) {
			stored++
			return true, nil
		}); err != nil {
			return err
		}
		now := s.now()
		job.State = StateRunning
		if job.StartedAt == nil {
			job.StartedAt = &now
		}
		return s.saveJob(x, &job)
	})
	if errors.Is(err, ErrNotFound) {
		// A queue key without its job: drop it, or it blocks the queue.
		return s.st.Update(func(x *store.Txn) error {
			return x.Scan(store.PrefixScanRunQueue(), nil, false, true, func(k, _ []byte) (bool, error) {
				if _, job := store.ScanRunQueueEntry(k); job == id {
					return false, x.Delete(append([]byte(nil), k...))
				}
				return true, nil
			})
		})
	}
	if err != nil {
		return err
	}
	log := s.log.With("job", id, "file", job.Name)

	path := s.tempPath(id, job.Kind)
	defer os.Remove(path)
	if err := s.decryptTo(job.Original.SHA256, path); err != nil {
		return err
	}
	in := scanning.Input{Path: path, Name: job.Name, First: stored + 1}
	if job.Pages == 0 {
		if c, ok := s.engine.(interface {
			Count(scanning.Input) (int, error)
		}); ok {
			n, err := c.Count(in)
			if err != nil {
				return s.fail(id, err)
			}
			if err := s.setPages(id, n); err != nil {
				return err
			}
			job.Pages = n
		}
	}
	if stored > 0 {
		log.Info("resuming scan job", "stored_pages", stored, "pages", job.Pages)
	}
	if job.Pages == 0 || stored < job.Pages {
		_, err := s.engine.Process(ctx, in, nil, func(pg *scanning.Page) error {
			if err := s.storePage(ctx, id, pg); err != nil {
				return err
			}
			if pg.Number >= job.Pages {
				return nil // the last page: finishing costs less than stopping
			}
			other, err := s.giveWayTo(id)
			if err != nil {
				return err
			}
			if other != "" {
				log.Info("scan job gives way", "to", other, "stored_pages", pg.Number, "pages", job.Pages)
				return errGiveWay
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errGiveWay) {
				return s.requeue(id)
			}
			return s.fail(id, err)
		}
	}
	return s.finish(ctx, id)
}

func (s *Service) setPages(id string, n int) error {
	return s.st.Update(func(x *store.Txn) error {
		var j Job
		if err := s.getJob(x, id, &j); err != nil {
			return err
		}
		j.Pages = n
		return s.saveJob(x, &j)
	})
}

// decryptTo writes blob sha to path for the engine, which reads files.
func (s *Service) decryptTo(sha, path string) error {
	r, err := s.blobs.Open(sha)
	if err != nil {
		return fmt.Errorf("open original: %w", err)
	}
	defer r.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("decrypt original: %w", err)
	}
	return nil
}

// storePage stores one page in one transaction: its record, its image's
// reference, its words in the search index and the job's progress. A page
// already stored (a resumed job) is left as it is.
func (s *Service) storePage(ctx context.Context, id string, pg *scanning.Page) error {
	ref, err := s.blobs.Put(ctx, bytes.NewReader(pg.Encoded))
	if err != nil {
		return fmt.Errorf("store page %d image: %w", pg.Number, err)
	}
	p := Page{
		N: pg.Number, Blank: pg.Blank, Source: pg.TextSource, Confidence: round1(pg.Confidence),
		Text: vntext.NFC(pg.Text), DPI: pg.DPI, Mode: pg.Mode, Rotation: pg.Rotation, Skew: round1(pg.Skew),
		Image: &ref, Format: pg.Format,
	}
	words := make([]Word, len(pg.Words))
	for i, w := range pg.Words {
		words[i] = Word{T: vntext.NFC(w.Text), B: [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y}, L: w.Line}
	}
	if slices.Contains(pg.QR, SeparatorCode) {
		p.Separator = true
	}
	if pg.Binding != nil {
		p.Binding = pg.Binding.DossierCode
	}
	var job Job
	err = s.st.Update(func(x *store.Txn) error {
		if ok, err := x.Exists(store.KeyScanPage(id, p.N)); err != nil || ok {
			return err
		}
		if err := s.getJob(x, id, &job); err != nil {
			return err
		}
		if !p.Blank {
			p.PDFPage = job.PDFPages + 1
			job.PDFPages++
		}
		if job.Done == 0 {
			job.ReviewCounted = true // from its first page on
		}
		job.Done++
		switch p.Source {
		case scanning.TextOCR:
			job.OCRPages++
			job.ConfSum += pg.Confidence
			job.Confidence = round1(job.ConfSum / float64(job.OCRPages))
			if p.Flagged = p.Confidence < s.opts.LowConfidence; p.Flagged {
				job.ToReview++
			}
		case scanning.TextPDF:
			job.TextPages++
		}
		if p.Blank {
			job.Blank = append(job.Blank, p.N)
		}
		if p.Separator {
			job.Separators = append(job.Separators, p.N)
		}
		if p.Binding != "" {
			b := Binding{Page: p.N, DossierCode: p.Binding}
			if d, err := reception.DossierByCode(x, p.Binding); err == nil {
				b.DossierID = d.ID
				if job.DossierID == "" {
					if err := s.bindTx(x, &job, d.ID, ""); err != nil {
						return err
					}
				} else if d.ID != job.DossierID {
					// A batch of several dossiers: each lists the job.
					if _, err := s.dossiers.MarkDigitised(x, d.ID, ""); err != nil {
						return err
					}
					if err := x.Set(store.KeyScanDossier(d.ID, job.ID), nil); err != nil {
						return err
					}
				}
			} else if !errors.Is(err, reception.ErrNotFound) {
				return err
			}
			job.Bindings = append(job.Bindings, b)
		}
		if first, err := x.Get(store.KeyScanPageHash(ref.SHA256)); err == nil {
			var other pageAddr
			if json.Unmarshal(first, &other) == nil && !p.Blank {
				job.DuplicatePages = append(job.DuplicatePages, DuplicatePage{Page: p.N, JobID: other.Job, OtherPage: other.Page})
			}
		} else if errors.Is(err, store.ErrNotFound) {
			if err := x.SetJSON(store.KeyScanPageHash(ref.SHA256), pageAddr{Job: id, Page: p.N}); err != nil {
				return err
			}
		} else {
			return err
		}
		if err := x.Set(store.KeyBlobRef(ref.SHA256, fmt.Sprintf("scan/%s/page/%d", id, p.N)), nil); err != nil {
			return err
		}
		if err := indexPage(x, id, p.N, nil, p.Text); err != nil {
			return err
		}
		if err := x.SetJSON(store.KeyScanPage(id, p.N), &p); err != nil {
			return err
		}
		if err := x.SetJSON(store.KeyScanWords(id, p.N), words); err != nil {
			return err
		}
		if job.Pages < p.N {
			job.Pages = p.N
		}
		return s.saveJob(x, &job)
	})
	if err == nil && s.opts.OnPage != nil {
		s.opts.OnPage(id, p.N, job.Pages)
	}
	return err
}

type pageAddr struct {
	Job  string `json:"job"`
	Page int    `json:"page"`
}

// ErrAllBlank: every page of the file is blank (the back of the sheets,
// the scanner's cover closed on nothing); there is nothing to keep.
var ErrAllBlank = errors.New("every page is blank")

// finish assembles the searchable PDF from the stored pages and marks the
// job done.
func (s *Service) finish(ctx context.Context, id string) error {
	var job Job
	if err := s.st.View(func(x *store.Txn) error { return s.getJob(x, id, &job) }); err != nil {
		return err
	}
	if job.PDFPages == 0 {
		return s.fail(id, fmt.Errorf("%s: %d pages: %w", job.Name, job.Pages, ErrAllBlank))
	}
	tmp, err := os.CreateTemp(s.opts.TempDir, "pdf-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = s.assemble(ctx, &job, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return s.fail(id, err)
	}
	ref, err := s.blobs.PutFile(ctx, tmp.Name())
	if err != nil {
		return fmt.Errorf("store pdf: %w", err)
	}
	now := s.now()
	err = s.st.Update(func(x *store.Txn) error {
		if err := s.getJob(x, id, &job); err != nil {
			return err
		}
		job.State, job.PDF, job.FinishedAt, job.Error = StateDone, &ref, &now, nil
		if err := x.Delete(queueKey(&job)); err != nil {
			return err
		}
		if err := s.queueScans(x, &job, Actor{ID: job.CreatedBy}); err != nil {
			return err
		}
		if err := x.Set(store.KeyBlobRef(ref.SHA256, "scan/"+id+"/pdf"), nil); err != nil {
			return err
		}
		if err := s.saveJob(x, &job); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: now, Actor: "system", Role: "system", Action: "scan_done",
			Object: "scan/" + id, After: ref.SHA256,
			Summary: fmt.Sprintf("%d trang, %d trang trắng", job.Pages, len(job.Blank))})
		return err
	})
	if err == nil {
		s.log.Info("scan job done", "job", id, "pages", job.Pages, "blank", len(job.Blank),
			"confidence", job.Confidence, "pdf_bytes", ref.Size)
	}
	return err
}

// assemble writes the searchable PDF: every page not blank (the first page
// if all are), its image and its words, read back one page at a time.
func (s *Service) assemble(ctx context.Context, job *Job, out io.Writer) error {
	w, err := searchpdf.NewWriter(out, searchpdf.Options{Title: job.Name, Creator: "Một Cửa Xã", Lang: "vi", Created: job.CreatedAt})
	if err != nil {
		return err
	}
	var pages []Page
	err = s.st.View(func(x *store.Txn) error {
		return x.Iterate(store.PrefixScanPages(job.ID), func(_, v []byte) error {
			p, err := decodePage(v)
			if err != nil {
				return err
			}
			if p.PDFPage > 0 {
				pages = append(pages, Page{N: p.N, Image: p.Image, DPI: p.DPI})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, p := range pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := s.readBlob(p.Image)
		if err != nil {
			return &scanning.PageError{Page: p.N, Stage: scanning.StageAssemble, Err: err}
		}
		var stored []Word
		if err := s.st.View(func(x *store.Txn) error {
			return x.GetJSON(store.KeyScanWords(job.ID, p.N), &stored)
		}); err != nil {
			return err
		}
		words := make([]searchpdf.Word, len(stored))
		for i, wd := range stored {
			words[i] = searchpdf.Word{Text: wd.T, Box: image.Rect(wd.B[0], wd.B[1], wd.B[2], wd.B[3]), Line: wd.L}
		}
		if err := w.AddPage(searchpdf.Page{Image: img, DPI: p.DPI, Words: words}); err != nil {
			return &scanning.PageError{Page: p.N, Stage: scanning.StageAssemble, Err: err}
		}
	}
	return w.Close()
}

func (s *Service) readBlob(ref *blobs.Ref) ([]byte, error) {
	if ref == nil {
		return nil, fmt.Errorf("page without image")
	}
	r, err := s.blobs.Open(ref.SHA256)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// queueScans puts a finished job's PDF in the hub outbox of every dossier
// it is bound to and has not been sent to.
func (s *Service) queueScans(x *store.Txn, job *Job, by Actor) error {
	if s.opts.Outbox == nil || job.State != StateDone || job.PDF == nil {
		return nil
	}
	var targets []string
	if job.DossierID != "" {
		targets = append(targets, job.DossierID)
	}
	for _, b := range job.Bindings {
		if b.DossierID != "" && !slices.Contains(targets, b.DossierID) {
			targets = append(targets, b.DossierID)
		}
	}
	for _, id := range targets {
		if slices.Contains(job.SentTo, id) {
			continue
		}
		d, err := reception.DossierByID(x, id)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(job.Name, "."+string(job.Kind)) + ".pdf"
		if err := s.opts.Outbox.EnqueueScan(x, d, ScanSent{JobID: job.ID, Component: job.Component, FileName: name,
			SHA256: job.PDF.SHA256, Size: job.PDF.Size, At: s.now(), Actor: by.ID, ActorName: by.Name}); err != nil {
			return err
		}
		if err := x.Set(store.KeyBlobRef(job.PDF.SHA256, "outbox/"+id), nil); err != nil {
			return err
		}
		job.SentTo = append(job.SentTo, id)
	}
	return nil
}

// requeue puts an interrupted job back in the queued state; its queue key
// never left, so it keeps its place before later jobs of its class.
func (s *Service) requeue(id string) error {
	return s.st.Update(func(x *store.Txn) error {
		var j Job
		if err := s.getJob(x, id, &j); err != nil {
			return err
		}
		j.State = StateQueued
		return s.saveJob(x, &j)
	})
}

// fail parks a job whose file cannot be processed. Errors of the store or
// the disk are not the file's fault: they are returned for the runner to
// try again later.
func (s *Service) fail(id string, cause error) error {
	code, msg := Classify(cause)
	if code == "" {
		return cause
	}
	var pe *scanning.PageError
	page := 0
	if errors.As(cause, &pe) {
		page = pe.Page
	}
	s.log.Warn("scan job failed", "job", id, "code", code, "page", page, "err", cause)
	return s.st.Update(func(x *store.Txn) error {
		var j Job
		if err := s.getJob(x, id, &j); err != nil {
			return err
		}
		now := s.now()
		j.State, j.FinishedAt = StateFailed, &now
		j.Error = &JobError{Code: code, Message: msg, Page: page, Detail: cause.Error()}
		if err := x.Delete(queueKey(&j)); err != nil {
			return err
		}
		if err := s.saveJob(x, &j); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: now, Actor: "system", Role: "system", Action: "scan_failed",
			Object: "scan/" + id, Summary: code})
		return err
	})
}

// Classify turns a processing error into the API's code and a Vietnamese
// message. Errors that are not about the file give "".
func Classify(err error) (code, message string) {
	var pe *scanning.PageError
	where := ""
	if errors.As(err, &pe) {
		where = fmt.Sprintf("Trang %d: ", pe.Page)
	}
	var tl *scanning.TooLargeError
	var tp *scanning.TooManyPagesError
	var em *scanning.ExtensionMismatchError
	var fl *scanning.FileTooLargeError
	switch {
	case errors.Is(err, blobs.ErrDiskFull):
		return "", ""
	case errors.Is(err, ErrAllBlank):
		return "all_blank", "Mọi trang của tệp đều trắng. Kiểm tra mặt giấy đặt vào máy quét và nắp máy rồi quét lại."
	case errors.As(err, &tl):
		return "file_too_large", where + fmt.Sprintf("ảnh quá lớn (%d × %d điểm ảnh, tối đa %d triệu điểm ảnh).", tl.Width, tl.Height, tl.Limit/1_000_000)
	case errors.As(err, &fl):
		return "file_too_large", fmt.Sprintf("Tệp quá lớn (%s, tối đa %s).", humanBytes(fl.Size), humanBytes(fl.Limit))
	case errors.As(err, &tp):
		return "too_many_pages", fmt.Sprintf("Tài liệu có %d trang, vượt quá giới hạn %d trang. Hãy tách thành nhiều tệp.", tp.Pages, tp.Limit)
	case errors.As(err, &em):
		return "extension_mismatch", fmt.Sprintf("Đuôi tệp %s không khớp với nội dung thật của tệp (%s).", em.Ext, strings.ToUpper(string(em.Detected)))
	case errors.Is(err, scanning.ErrEncrypted):
		return "encrypted_pdf", "Tệp PDF được đặt mật khẩu. Hãy gỡ mật khẩu rồi nhập lại."
	case errors.Is(err, scanning.ErrEmptyFile):
		return "corrupt_file", "Tệp rỗng (0 byte): có thể việc sao chép hoặc quét bị gián đoạn."
	case errors.Is(err, scanning.ErrUnsupportedType):
		return "unsupported_file", "Định dạng tệp không được hỗ trợ. Chỉ nhận PDF, JPEG, PNG, TIFF."
	case errors.Is(err, scanning.ErrInvalidName):
		return "bad_file_name", "Tên tệp không hợp lệ."
	case errors.Is(err, scanning.ErrCorrupt), errors.Is(err, scanning.ErrPageRange):
		return "corrupt_file", where + "Tệp bị hỏng hoặc không đọc được."
	case pe != nil:
		msg := where + "không xử lý được trang này"
		if n := stageNames[pe.Stage]; n != "" {
			msg += " (bước " + n + ")"
		}
		return "page_failed", msg + "."
	}
	return "", ""
}

// stageNames name the pipeline's stages for a page that failed.
var stageNames = map[scanning.Stage]string{
	scanning.StageOpen: "mở tệp", scanning.StageRender: "dựng ảnh trang", scanning.StageClean: "làm sạch ảnh",
	scanning.StageOCR: "nhận dạng chữ", scanning.StageBarcode: "đọc mã QR", scanning.StageEncode: "nén ảnh",
	scanning.StageAssemble: "ghép tệp PDF", scanning.StageDone: "lưu trang",
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d kB", n>>10)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func decodePage(v []byte) (Page, error) {
	var p Page
	err := json.Unmarshal(v, &p)
	return p, err
}

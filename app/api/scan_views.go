package api

import (
	"time"

	"motcua/app/digitize"
)

// scanJobView is a scan job as the screens show it (docs/API.md, Job). The
// job's storage fields — blob references, the queue key's time, the
// confidence sum, the outbox bookkeeping — stay behind.
type scanJobView struct {
	ID             string                   `json:"id"`
	Name           string                   `json:"name"`
	Kind           string                   `json:"kind"`
	Size           int64                    `json:"size"`
	SHA256         string                   `json:"sha256"`
	State          digitize.State           `json:"state"`
	StateLabel     string                   `json:"stateLabel"`
	Pages          int                      `json:"pages"`
	Done           int                      `json:"done"`
	PDFPages       int                      `json:"pdfPages"`
	PDFSize        int64                    `json:"pdfSize,omitempty"`
	Error          *scanErrorView           `json:"error,omitempty"`
	Blank          []int                    `json:"blank"`
	Confidence     float64                  `json:"confidence"`
	OCRPages       int                      `json:"ocrPages"`
	TextPages      int                      `json:"textPages"`
	DossierID      string                   `json:"dossierId,omitempty"`
	DossierCode    string                   `json:"dossierCode,omitempty"`
	Component      string                   `json:"component,omitempty"`
	BatchID        string                   `json:"batchId,omitempty"`
	Bindings       []digitize.Binding       `json:"bindings"`
	Separators     []int                    `json:"separators"`
	DuplicatePages []digitize.DuplicatePage `json:"duplicatePages"`
	CreatedAt      time.Time                `json:"createdAt"`
	StartedAt      *time.Time               `json:"startedAt,omitempty"`
	FinishedAt     *time.Time               `json:"finishedAt,omitempty"`
	CreatedBy      string                   `json:"createdBy"`
}

// scanErrorView says why a job failed, in Vietnamese; page names the page
// that failed (0: the whole file).
type scanErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Page    int    `json:"page,omitempty"`
}

func scanJobOf(j digitize.Job) scanJobView {
	v := scanJobView{
		ID: j.ID, Name: j.Name, Kind: string(j.Kind), Size: j.Size, SHA256: j.SHA256,
		State: j.State, StateLabel: j.State.Label(), Pages: j.Pages, Done: j.Done, PDFPages: j.PDFPages,
		Blank: orEmpty(j.Blank), Confidence: j.Confidence, OCRPages: j.OCRPages, TextPages: j.TextPages,
		DossierID: j.DossierID, DossierCode: j.DossierCode, Component: j.Component, BatchID: j.BatchID,
		Bindings: orEmpty(j.Bindings), Separators: orEmpty(j.Separators), DuplicatePages: orEmpty(j.DuplicatePages),
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, CreatedBy: j.CreatedBy,
	}
	if j.PDF != nil {
		v.PDFSize = j.PDF.Size
	}
	if j.Error != nil {
		v.Error = &scanErrorView{Code: j.Error.Code, Message: j.Error.Message, Page: j.Error.Page}
	}
	return v
}

func scanJobsOf(js []digitize.Job) []scanJobView {
	out := make([]scanJobView, len(js))
	for i, j := range js {
		out[i] = scanJobOf(j)
	}
	return out
}

// scanPageView is a stored page without its image's blob reference (the
// image is served by /api/scans/{id}/pages/{n}/image).
type scanPageView struct {
	N          int     `json:"n"`
	PDFPage    int     `json:"pdfPage"`
	Blank      bool    `json:"blank"`
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence"`
	Text       string  `json:"text"`
	DPI        float64 `json:"dpi"`
	Mode       string  `json:"mode"`
	Rotation   int     `json:"rotation"`
	Skew       float64 `json:"skew"`
	Reviewed   bool    `json:"reviewed"`
	Corrected  bool    `json:"corrected"`
	Separator  bool    `json:"separator,omitempty"`
	Binding    string  `json:"binding,omitempty"`
}

func scanPageOf(p digitize.Page) scanPageView {
	return scanPageView{N: p.N, PDFPage: p.PDFPage, Blank: p.Blank, Source: string(p.Source), Confidence: p.Confidence,
		Text: p.Text, DPI: p.DPI, Mode: string(p.Mode), Rotation: p.Rotation, Skew: p.Skew, Reviewed: p.Reviewed,
		Corrected: p.Corrected, Separator: p.Separator, Binding: p.Binding}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

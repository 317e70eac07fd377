// Package digitize is the digitisation use case: files imported by a
// scanning operator (or written by the scanner into a watch folder) become
// scan jobs in a durable queue in the store; a runner takes them through the
// scanning pipeline page by page, stores each page (cleaned image in the blob
// store, text and word boxes in the store, words in the search index) in one
// transaction, and assembles the searchable PDF when every page is done. A
// crash or restart resumes a job at its first page not stored, so every page
// is stored exactly once.
//
// Jobs are bound to dossiers by hand or by the QR code of a receipt or cover
// sheet found on a page; archive batches group jobs of old records with
// their metadata for review and export.
package digitize

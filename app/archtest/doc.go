// Package archtest holds the test that enforces the import rules of
// docs/ARCHITECTURE.md. It has no code of its own.
package archtest

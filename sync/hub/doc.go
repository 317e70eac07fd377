// Package hub is the provincial hub server: it receives dossiers, events and
// scans from commune devices, keeps them in PostgreSQL and a content-
// addressed blob store, sends hub-side processing back through a per-commune
// pull log, and exports dossiers in the national portal's field set.
//
// The protocol is package wire's. What the hub promises, and the tests check:
//
//   - Get-or-create by the commune's IDs: a replayed dossier or event is
//     answered "duplicate" with its first reception time and never stored
//     twice, even when two requests race.
//   - Files first: a record whose blobs are missing, or present with another
//     size, is rejected and nothing of it is stored. A blob is present only
//     after its bytes hashed to its address.
//   - Persist before acknowledging: a chunk's offset is recorded after the
//     store's fsync; a push answers after its transaction committed.
//   - Every device request is signed (Ed25519), fresh (±MaxClockSkew) and
//     used once (nonces in PostgreSQL, so a restart does not reopen the
//     replay window); a device writes only its own commune's dossiers; a
//     revoked device is refused.
//   - Bad input (malformed or oversize JSON, unknown fields, wrong protocol)
//     gets a 4xx error envelope, stores nothing, and costs nobody else.
//
// Server is an http.Handler. Its only background work is Run, the janitor
// that purges expired nonces; the caller owns it.
package hub

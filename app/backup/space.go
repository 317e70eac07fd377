package backup

// Space reports the free bytes of the filesystem holding Dir; the API asks
// it before taking new work.
type Space struct{ Dir string }

// FreeBytes returns the bytes free for the app's user on Dir's filesystem.
func (s Space) FreeBytes() (uint64, error) { return FreeBytes(s.Dir) }

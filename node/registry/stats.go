package registry

// Stats is a snapshot of the registry for display.
type Stats struct {
	Prefix       string // registry node prefix
	Version      uint64 // network version number
	Certificates int    // stored certificates
	FreeBlocks   int    // free rows of the prefix tree
	Tokens       int    // pending registration tokens
	Revoked      int    // serials in the CRL
	Sessions     int    // nodes with a session
}

// Stats returns counts for display; it never blocks on the network.
func (r *Registry) Stats() (Stats, error) {
	r.mu.RLock()
	s := Stats{Prefix: r.prefix, Certificates: len(r.certs), Revoked: len(r.crl)}
	s.Version, _ = r.versionNumber()
	for _, m := range r.tree.free {
		s.FreeBlocks += len(m)
	}
	err := r.db.QueryRow("SELECT count(*) FROM token").Scan(&s.Tokens)
	r.mu.RUnlock()
	r.sessions.mu.Lock()
	s.Sessions = len(r.sessions.m)
	r.sessions.mu.Unlock()
	return s, err
}

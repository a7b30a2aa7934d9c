package state

import "slices"

// Clone returns a deep copy of s, which is what an engine hands out as a
// snapshot: the receiver may change it without touching the engine's copy.
func (s State) Clone() State {
	c := s
	c.Tunnels = slices.Clone(s.Tunnels)
	for i := range c.Tunnels {
		c.Tunnels[i].PeerAddrs = slices.Clone(c.Tunnels[i].PeerAddrs)
	}
	c.Neighbours = slices.Clone(s.Neighbours)
	c.Routes = slices.Clone(s.Routes)
	c.Sources = slices.Clone(s.Sources)
	c.XRoutes = slices.Clone(s.XRoutes)
	c.Kernel = slices.Clone(s.Kernel)
	c.Logs = slices.Clone(s.Logs)
	for i := range c.Logs {
		c.Logs[i].Attrs = slices.Clone(c.Logs[i].Attrs)
	}
	c.UPnP.Mappings = slices.Clone(s.UPnP.Mappings)
	c.Findings = slices.Clone(s.Findings)
	for i := range c.Findings {
		f := &c.Findings[i]
		f.Details = slices.Clone(f.Details)
		f.Fixes = slices.Clone(f.Fixes)
		for j := range f.Fixes {
			f.Fixes[j].Changes = slices.Clone(f.Fixes[j].Changes)
			f.Fixes[j].Undo = slices.Clone(f.Fixes[j].Undo)
		}
	}
	return c
}

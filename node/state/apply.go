package state

import "log/slog"

// MaxLogs bounds the log records a State keeps. Past it, a tenth of them
// go at once, debug records first, oldest first: a chatty debug log
// (OpenVPN's) must not push out the node's few info lines, and trimming
// in batches keeps an append cheap.
const MaxLogs = 2000

// Apply changes s as ev says, so that a client holding a Snapshot stays
// current by applying every later Event in order. It reports whether ev
// changed s; an event with its piece missing changes nothing.
func (s *State) Apply(ev Event) bool {
	switch ev.Kind {
	case KindSnapshot:
		return setIf(s, ev.Snapshot)
	case KindIdentity:
		return setIf(&s.Identity, ev.Identity)
	case KindStatus:
		return setIf(&s.Status, ev.Status)
	case KindRegistry:
		return setIf(&s.Registry, ev.Registry)
	case KindUPnP:
		return setIf(&s.UPnP, ev.UPnP)
	case KindCounters:
		return s.applyCounters(ev.Counters)
	case KindLog:
		return s.appendLog(ev.Log)
	}
	return s.applyKeyed(ev)
}

func (s *State) applyKeyed(ev Event) bool {
	switch ev.Kind {
	case KindTunnel:
		return upsert(&s.Tunnels, ev.Tunnel, ev.Removed, func(a, b Tunnel) bool { return a.ID == b.ID })
	case KindNeighbour:
		return upsert(&s.Neighbours, ev.Neighbour, ev.Removed, func(a, b Neighbour) bool {
			return a.Addr == b.Addr && a.Iface == b.Iface
		})
	case KindRoute:
		return upsert(&s.Routes, ev.Route, ev.Removed, func(a, b BabelRoute) bool {
			return a.Prefix == b.Prefix && a.Src == b.Src && a.NextHop == b.NextHop && a.Iface == b.Iface
		})
	case KindSource:
		return upsert(&s.Sources, ev.Source, ev.Removed, func(a, b Source) bool {
			return a.Prefix == b.Prefix && a.Src == b.Src && a.RouterID == b.RouterID
		})
	case KindXRoute:
		return upsert(&s.XRoutes, ev.XRoute, ev.Removed, func(a, b XRoute) bool {
			return a.Prefix == b.Prefix && a.Src == b.Src
		})
	case KindKernel:
		return upsert(&s.Kernel, ev.Kernel, ev.Removed, func(a, b KernelRoute) bool { return a.Key() == b.Key() })
	case KindFinding:
		return upsert(&s.Findings, ev.Finding, ev.Removed, func(a, b Finding) bool { return a.ID == b.ID })
	}
	return false
}

func setIf[T any](dst *T, v *T) bool {
	if v == nil {
		return false
	}
	*dst = *v
	return true
}

// upsert replaces the item matching v, appends v when none does, or with
// removed deletes the match. Linear: tables change a few items at a time.
func upsert[T any](list *[]T, v *T, removed bool, same func(a, b T) bool) bool {
	if v == nil {
		return false
	}
	for i := range *list {
		if !same((*list)[i], *v) {
			continue
		}
		if removed {
			*list = append((*list)[:i], (*list)[i+1:]...)
		} else {
			(*list)[i] = *v
		}
		return true
	}
	if removed {
		return false
	}
	*list = append(*list, *v)
	return true
}

func (s *State) applyCounters(cs []Counters) bool {
	changed := false
	for _, c := range cs {
		for i := range s.Tunnels {
			if s.Tunnels[i].ID == c.ID {
				s.Tunnels[i].BytesIn, s.Tunnels[i].BytesOut = c.BytesIn, c.BytesOut
				changed = true
			}
		}
	}
	return changed
}

func (s *State) appendLog(r *LogRecord) bool {
	if r == nil {
		return false
	}
	s.Logs = append(s.Logs, *r)
	if len(s.Logs) > MaxLogs {
		s.Logs = trimLogs(s.Logs, MaxLogs-MaxLogs/10)
	}
	return true
}

// trimLogs keeps keep records of logs, in order: it drops debug records,
// oldest first, then the oldest of the others.
func trimLogs(logs []LogRecord, keep int) []LogRecord {
	excess := len(logs) - keep
	out := logs[:0] // filtered in place: each write lands at or before its read
	for _, r := range logs {
		if excess > 0 && r.Level < slog.LevelInfo {
			excess--
			continue
		}
		out = append(out, r)
	}
	if excess > 0 {
		out = append(out[:0], out[excess:]...)
	}
	clear(logs[len(out):]) // let the dropped records' strings go
	return out
}

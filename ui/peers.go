package ui

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// peerRow is one line of the peers tab: a tunnel with its Babel
// neighbour, or a neighbour with no tunnel (a LAN peer).
type peerRow struct {
	tun    *state.Tunnel
	nb     *state.Neighbour
	in     float64 // bytes per second, from the last two ticks
	out    float64
	rateOK bool
}

// sample is a tunnel's counters at one tick.
type sample struct {
	in, out uint64
	at      time.Time
}

type rate struct{ in, out float64 }

// peer sort keys, in the order `s` cycles through them.
var peerSorts = []string{"peer", "state", "cost", "rtt", "in/s", "out/s", "uptime"}

type peersPanel struct {
	rows    []peerRow
	list    list
	filter  filter
	sortBy  int
	reverse bool
	detail  bool // Enter opened the detail of the cursor row
	height  int
	// servers say how peers reach this node's servers (UPnP), shown
	// above the table when there is something to say.
	servers []string
	last    map[string]sample
	rates   map[string]rate
}

func newPeersPanel() peersPanel {
	return peersPanel{filter: newFilter(), last: map[string]sample{}, rates: map[string]rate{}, height: 10}
}

// sample turns the byte counters into rates, using the tick's time.
func (p *peersPanel) sample(st *state.State, now time.Time) {
	seen := make(map[string]sample, len(st.Tunnels))
	for _, t := range st.Tunnels {
		cur := sample{in: t.BytesIn, out: t.BytesOut, at: now}
		if prev, ok := p.last[t.ID]; ok {
			if dt := now.Sub(prev.at).Seconds(); dt > 0 && cur.in >= prev.in && cur.out >= prev.out {
				p.rates[t.ID] = rate{float64(cur.in-prev.in) / dt, float64(cur.out-prev.out) / dt}
			} else if dt > 0 {
				delete(p.rates, t.ID) // counters went back: the tunnel restarted
			}
		}
		seen[t.ID] = cur
	}
	for id := range p.rates {
		if _, ok := seen[id]; !ok {
			delete(p.rates, id)
		}
	}
	p.last = seen
}

// rebuild joins tunnels with neighbours, then filters and sorts.
func (p *peersPanel) rebuild(m *Model) {
	st := &m.st
	used := make([]bool, len(st.Neighbours))
	rows := p.rows[:0]
	for i := range st.Tunnels {
		t := &st.Tunnels[i]
		r := peerRow{tun: t}
		if j := neighbourOf(st, t); j >= 0 {
			r.nb, used[j] = &st.Neighbours[j], true
		}
		if rt, ok := p.rates[t.ID]; ok {
			r.in, r.out, r.rateOK = rt.in, rt.out, true
		}
		rows = append(rows, r)
	}
	for j := range st.Neighbours {
		if !used[j] {
			rows = append(rows, peerRow{nb: &st.Neighbours[j]})
		}
	}
	if !p.filter.empty() {
		rows = slices.DeleteFunc(rows, func(r peerRow) bool { return !p.filter.match(r.fields()...) })
	}
	p.sortRows(rows, m.now)
	p.rows = rows
	p.servers = m.upnpLines()
	p.list.fit(len(rows), p.tableHeight())
}

// neighbourOf finds the Babel neighbour on t: by its link-local address
// when the engine knows it, else the only neighbour on t's interface.
func neighbourOf(st *state.State, t *state.Tunnel) int {
	found := -1
	for j, nb := range st.Neighbours {
		if nb.Iface != t.Iface {
			continue
		}
		if t.LinkLocal.IsValid() {
			if nb.Addr == t.LinkLocal {
				return j
			}
			continue
		}
		if found >= 0 {
			return -1 // several on one server tap: ambiguous
		}
		found = j
	}
	return found
}

func (r peerRow) fields() []string {
	var f []string
	if r.tun != nil {
		f = append(f, r.tun.Peer.String(), r.tun.Iface, string(r.tun.State), string(r.tun.Role), r.tun.Remote.String(), r.tun.Proto)
	}
	if r.nb != nil {
		f = append(f, r.nb.Addr.String(), r.nb.Iface)
	}
	return f
}

func (p *peersPanel) sortRows(rows []peerRow, now time.Time) {
	by := peerSorts[p.sortBy]
	slices.SortStableFunc(rows, func(a, b peerRow) int {
		c := comparePeers(by, a, b, now)
		if c == 0 {
			c = strings.Compare(a.key(), b.key())
		}
		if p.reverse {
			return -c
		}
		return c
	})
}

func (r peerRow) key() string {
	if r.tun != nil {
		return r.tun.Peer.String() + r.tun.ID
	}
	return "~" + r.nb.Iface + r.nb.Addr.String()
}

func comparePeers(by string, a, b peerRow, now time.Time) int {
	switch by {
	case "peer":
		return comparePrefix(a.prefix(), b.prefix())
	case "state":
		return cmp.Compare(a.state(), b.state())
	case "cost":
		return cmp.Compare(a.cost(), b.cost())
	case "rtt":
		return cmp.Compare(a.rtt(), b.rtt())
	case "in/s":
		return -cmp.Compare(a.in, b.in)
	case "out/s":
		return -cmp.Compare(a.out, b.out)
	case "uptime":
		return -cmp.Compare(a.uptime(now), b.uptime(now))
	}
	return 0
}

// prefix is the row's peer prefix; neighbour-only rows sort last.
func (r peerRow) prefix() netip.Prefix {
	if r.tun == nil {
		return netip.Prefix{}
	}
	return r.tun.Peer
}

// comparePrefix orders prefixes by address, then length; invalid last.
func comparePrefix(a, b netip.Prefix) int {
	if a.IsValid() != b.IsValid() {
		return cmp.Compare(b2i(!a.IsValid()), b2i(!b.IsValid()))
	}
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r peerRow) state() string {
	if r.tun == nil {
		return "lan"
	}
	return string(r.tun.State)
}

func (r peerRow) cost() int {
	if r.nb == nil {
		return 1 << 20
	}
	return int(r.nb.Cost)
}

func (r peerRow) rtt() time.Duration {
	if r.nb == nil {
		return time.Hour
	}
	return r.nb.RTT
}

func (r peerRow) uptime(now time.Time) time.Duration {
	if r.tun == nil || r.tun.Since.IsZero() {
		return -1
	}
	return now.Sub(r.tun.Since)
}

func (p *peersPanel) fit(height int) {
	p.height = height
	p.list.fit(len(p.rows), p.tableHeight())
}

// tableHeight is the rows left under the servers and filter lines and
// the column titles.
func (p *peersPanel) tableHeight() int {
	h := p.height - 1
	if p.filter.active || p.filter.input.Value() != "" {
		h--
	}
	h -= len(p.servers)
	return max(h, 1)
}

func (p *peersPanel) selected() (peerRow, bool) {
	if p.list.cursor < 0 || p.list.cursor >= len(p.rows) {
		return peerRow{}, false
	}
	return p.rows[p.list.cursor], true
}

func (p *peersPanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	// The detail opens only with the filter closed, so it goes first.
	if p.detail {
		if key.Matches(msg, m.keys.Back, m.keys.Enter) {
			p.detail = false
		}
		return p.rowKey(m, msg)
	}
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.list, n: len(p.rows), height: p.tableHeight(),
		rebuild: func() { p.rebuild(m) }}); ok {
		return cmd
	}
	k := &m.keys
	switch {
	case key.Matches(msg, k.Enter):
		_, p.detail = p.selected()
	case key.Matches(msg, k.Sort):
		p.sortBy = (p.sortBy + 1) % len(peerSorts)
		p.rebuild(m)
	case key.Matches(msg, k.Reverse):
		p.reverse = !p.reverse
		p.rebuild(m)
	case key.Matches(msg, k.Connect):
		return p.askConnect(m)
	}
	return p.rowKey(m, msg)
}

// rowKey handles the keys that act on the selected peer, in the list and
// in its detail view.
func (p *peersPanel) rowKey(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	r, ok := p.selected()
	switch {
	case !ok:
	case key.Matches(msg, m.keys.Kill):
		p.confirmKill(m, r)
	case key.Matches(msg, m.keys.TracePeer):
		if r.tun != nil {
			m.setTab(tabTrace)
			return m.trace.begin(m, r.tun.Peer.String())
		}
		m.setStatus("this neighbour has no tunnel, so no re6st prefix to trace to", true)
	}
	return nil
}

func (p *peersPanel) confirmKill(m *Model, r peerRow) {
	if r.tun == nil {
		m.setStatus("this neighbour is not on a tunnel; there is nothing to kill", true)
		return
	}
	id, peer := r.tun.ID, r.tun.Peer
	m.prompt = confirm("Kill tunnel "+id+"?", []string{
		fmt.Sprintf("The tunnel to %s (%s, %s) closes; the node may later open another one, to any peer.", peer, r.tun.Role, r.tun.Remote)},
		func(m *Model, _ string) tea.Cmd {
			eng := m.eng
			p.detail = false
			return runCommand(m.ctx, "kill tunnel "+id, func(ctx context.Context) error { return eng.KillTunnel(ctx, id) })
		})
}

func (p *peersPanel) askConnect(m *Model) tea.Cmd {
	pr, cmd := ask("Connect to a peer", "its prefix or address, e.g. 2001:db8:42:7::/64", func(m *Model, v string) tea.Cmd {
		prefix, ok := parsePrefix(&m.st, v)
		if !ok {
			m.setStatus(fmt.Sprintf("connect: %q is not a prefix, nor an address Babel has a route for; type a prefix such as %s", v, m.st.Identity.Network), true)
			return nil
		}
		eng := m.eng
		return runCommand(m.ctx, "connect to "+prefix.String(), func(ctx context.Context) error { return eng.ConnectPeer(ctx, prefix) })
	})
	m.prompt = pr
	return cmd
}

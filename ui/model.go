package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// tab is one of the dashboard's panels.
type tab int

const (
	tabPeers tab = iota
	tabRoutes
	tabBabel
	tabLogs
	tabTrace
	tabCount
)

var tabNames = [tabCount]string{"Peers", "Routes", "Babel", "Logs", "Trace"}

// Options tunes New.
type Options struct {
	Now time.Time // the clock's reading at start; later ticks update it
}

// Model is the dashboard: header, tabs, the active panel and the footer.
type Model struct {
	ctx    context.Context
	eng    Engine
	events <-chan state.Event
	lagged bool // the last event said we fell behind: resubscribe on close
	gone   bool // the engine stopped

	st            state.State
	now           time.Time
	width, height int
	styles        Styles
	keys          keyMap
	help          help.Model
	showHelp      bool
	tab           tab
	status        string
	statusErr     bool
	statusAt      time.Time // when status was set, to let it fade
	prompt        *prompt

	// index finds the rows of the state's big tables for each event.
	index stateIndex
	// The route tables follow events one by one. Only one thing is
	// redone as a whole: the rows shown through a filter for "missing"
	// or "conflict" when those change, which flush does at most once per
	// coalesceDelay, so that a burst of changes costs one pass.
	flushPending bool

	doctor doctorView
	peers  peersPanel
	routes routesPanel
	babel  babelPanel
	logs   logsPanel
	trace  tracePanel
}

// New subscribes to eng and takes its snapshot. Subscribing first means no
// change is missed; one that lands in both is applied twice, which only
// repeats a log line at worst.
func New(ctx context.Context, eng Engine, opts Options) *Model {
	m := &Model{ctx: ctx, eng: eng, styles: DefaultStyles(), keys: defaultKeys(),
		help: help.New(), width: 80, height: 24, now: opts.Now}
	m.events = eng.Subscribe(ctx)
	m.st = eng.Snapshot()
	m.index.reset(&m.st)
	if m.now.IsZero() {
		m.now = m.st.GeneratedAt
	}
	m.peers = newPeersPanel()
	m.routes = newRoutesPanel()
	m.babel = newBabelPanel()
	m.logs = newLogsPanel()
	m.trace = newTracePanel()
	m.peers.sample(&m.st, m.now)
	m.rebuildAll()
	m.refit()
	return m
}

// Init starts the clock and the event stream.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tick(), waitForEvent(m.events))
}

func (m *Model) rebuildAll() {
	m.doctor.follow(m.findings())
	m.peers.rebuild(m)
	m.routes.rebuild(m)
	m.babel.rebuild(m)
	m.logs.rebuild(m)
}

// Update handles one message; each kind has its own method.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.peers.rebuild(m) // its UPnP lines wrap to the width
		m.refit()
	case tickMsg:
		m.now = time.Time(msg)
		m.fadeStatus()
		m.peers.sample(&m.st, m.now)
		m.peers.rebuild(m)
		return m, tick()
	case eventMsg:
		return m, m.onEvent(msg.ev)
	case goneMsg:
		return m, m.onGone()
	case resubscribedMsg:
		m.st, m.events, m.lagged = msg.st, msg.events, false
		m.index.reset(&m.st)
		m.rebuildAll()
		return m, waitForEvent(m.events)
	case resultMsg:
		m.onResult(msg)
	case traceStartedMsg, hopMsg, traceEndedMsg:
		return m, m.trace.onMsg(m, msg)
	case flushMsg:
		m.flushPending = false
		m.flush()
	case tea.KeyPressMsg:
		m.flush() // keys act on what the person sees, made current
		return m, m.onKey(msg)
	default:
		if m.prompt != nil {
			return m, m.prompt.update(msg)
		}
		return m, m.forwardToInput(msg)
	}
	return m, nil
}

// coalesceDelay is how long route-table changes may wait to be shown.
const coalesceDelay = 100 * time.Millisecond

// flushMsg asks for the deferred rebuilds.
type flushMsg struct{}

func (m *Model) onEvent(ev state.Event) tea.Cmd {
	next := waitForEvent(m.events)
	if ev.Kind == state.KindLagged {
		m.lagged = true
		return next
	}
	if !m.index.apply(&m.st, ev) {
		return next
	}
	// Small tables are rebuilt at once; the big ones take the change.
	switch ev.Kind {
	case state.KindCounters, state.KindTunnel, state.KindUPnP:
		m.peers.rebuild(m)
	case state.KindNeighbour:
		m.peers.rebuild(m)
		m.babel.smallChanged(&m.st)
	case state.KindXRoute:
		m.babel.smallChanged(&m.st)
	case state.KindRoute:
		m.babel.routeChanged(*ev.Route, ev.Removed)
	case state.KindSource:
		m.babel.sourceChanged(*ev.Source, ev.Removed)
	case state.KindKernel:
		d := m.routes.change(m, *ev.Kernel, ev.Removed)
		m.babel.kernelChanged(ev.Kernel, d)
	case state.KindIdentity:
		m.routes.rebuild(m) // which routes are re6st's depends on the network
	case state.KindFinding:
		m.doctor.follow(m.findings())
	case state.KindLog:
		m.logs.rebuild(m)
	case state.KindSnapshot:
		m.rebuildAll()
	}
	if (m.babel.recheck || m.routes.recheck) && !m.flushPending {
		m.flushPending = true
		return tea.Batch(next, tea.Tick(coalesceDelay, func(time.Time) tea.Msg { return flushMsg{} }))
	}
	return next
}

// flush does the work events deferred.
func (m *Model) flush() {
	if m.babel.recheck {
		m.babel.refilter()
	}
	if m.routes.recheck {
		m.routes.refilter()
	}
}

func (m *Model) onGone() tea.Cmd {
	if m.lagged {
		m.setStatus("the dashboard fell behind the node; reloaded its state", false)
		return resubscribe(m.ctx, m.eng)
	}
	m.gone = true
	m.setStatus("the node stopped: nothing here updates any more; press q to quit", true)
	return nil
}

func (m *Model) onResult(r resultMsg) {
	if r.err != nil {
		m.setStatus(r.what+": "+r.err.Error(), true)
		return
	}
	m.setStatus(r.what+": done", false)
}

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr, m.statusAt = s, isErr, m.now
	m.refit() // an error may take two lines
}

// How long a status message stays before the summary returns.
const (
	statusLife    = 10 * time.Second
	statusErrLife = 60 * time.Second
)

func (m *Model) fadeStatus() {
	life := statusLife
	if m.statusErr {
		life = statusErrLife
	}
	if m.status != "" && m.now.Sub(m.statusAt) > life {
		m.status = ""
		m.refit()
	}
}

// bodyHeight is what is left for the panel once the chrome is drawn.
func (m *Model) bodyHeight() int {
	h := m.height - 2 /* header */ - 1 /* tabs */ - 1 /* help */
	h -= len(m.bannerLines()) + len(m.statusLines())
	return max(h, 3)
}

func (m *Model) refit() {
	h := m.bodyHeight()
	m.doctor.height = h
	m.doctor.follow(m.findings())
	m.routes.setWidth(m.width)
	m.babel.setWidth(m.width)
	m.peers.fit(h)
	m.routes.fit(h)
	m.babel.fit(h)
	m.logs.fit(h)
}

// View draws the whole screen; it reads only the model.
func (m *Model) View() tea.View {
	var b strings.Builder
	b.WriteString(m.headerView())
	b.WriteByte('\n')
	b.WriteString(m.tabsView())
	if s := m.bannerView(); s != "" {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	b.WriteByte('\n')
	b.WriteString(m.bodyView())
	b.WriteByte('\n')
	b.WriteString(m.statusView())
	b.WriteByte('\n')
	b.WriteString(m.helpView())
	out := b.String()
	if m.height < 4+len(m.bannerLines())+len(m.statusLines())+3 { // too short for the chrome: cut
		out = fitLines(out, m.width, m.height)
	}
	v := tea.NewView(out)
	v.AltScreen = true
	v.WindowTitle = "re6st-tui " + m.st.Identity.Prefix.String()
	return v
}

// bodyView renders exactly bodyHeight lines.
func (m *Model) bodyView() string {
	w, h := m.width, m.bodyHeight()
	var s string
	switch {
	case m.prompt != nil:
		s = m.prompt.view(m, w, h)
	case m.showHelp:
		s = m.fullHelpView()
	case m.doctor.open:
		s = m.doctor.view(m, w, h)
	default:
		s = m.panelView(w, h)
	}
	return fitLines(s, w, h)
}

func (m *Model) panelView(w, h int) string {
	switch m.tab {
	case tabPeers:
		return m.peers.view(m, w, h)
	case tabRoutes:
		return m.routes.view(m, w, h)
	case tabBabel:
		return m.babel.view(m, w, h)
	case tabLogs:
		return m.logs.view(m, w, h)
	}
	return m.trace.view(m, w, h)
}

// fitLines cuts or pads s to h lines, each cut to w cells.
func fitLines(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// fullHelpView stacks the key groups two by two, so they fit 80 columns.
func (m *Model) fullHelpView() string {
	groups := m.keyHelp().FullHelp()
	where := "Keys on the " + tabNames[m.tab] + " tab"
	if m.doctor.open {
		where = "Keys of the doctor's findings"
	}
	parts := []string{m.styles.Bold.Render(where) + "  " + m.styles.Dim.Render("? or esc closes")}
	for i := 0; i < len(groups); i += 2 {
		parts = append(parts, m.help.FullHelpView(groups[i:min(i+2, len(groups))]))
	}
	return strings.Join(parts, "\n\n")
}

package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every key binding; panels read the ones they handle.
type keyMap struct {
	Quit, ForceQuit, Help, NextTab, PrevTab, Filter, Back key.Binding
	Tab1, Tab2, Tab3, Tab4, Tab5                          key.Binding
	Up, Down, PageUp, PageDown, Top, Bottom, Enter        key.Binding
	ApplyFix, RevertFix, Refresh, Rebootstrap, Doctor     key.Binding
	Sort, Reverse, Kill, Connect, TracePeer               key.Binding
	AllRoutes, ExplainAddr                                key.Binding
	Left, Right                                           key.Binding
	Level, Follow, Wrap                                   key.Binding
	NewTrace, StopTrace                                   key.Binding
	Yes, No                                               key.Binding
}

func bind(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

func defaultKeys() keyMap {
	return keyMap{
		Quit:        bind([]string{"q"}, "q", "quit"),
		ForceQuit:   bind([]string{"ctrl+c"}, "ctrl+c", "quit now"),
		Help:        bind([]string{"?"}, "?", "all keys"),
		NextTab:     bind([]string{"tab"}, "tab", "next tab"),
		PrevTab:     bind([]string{"shift+tab"}, "shift+tab", "previous tab"),
		Filter:      bind([]string{"/"}, "/", "filter"),
		Back:        bind([]string{"esc"}, "esc", "back"),
		Tab1:        bind([]string{"1"}, "1-5", "tabs"),
		Tab2:        bind([]string{"2"}, "2", "routes"),
		Tab3:        bind([]string{"3"}, "3", "babel"),
		Tab4:        bind([]string{"4"}, "4", "logs"),
		Tab5:        bind([]string{"5"}, "5", "trace"),
		Up:          bind([]string{"up", "k"}, "↑/k", "up"),
		Down:        bind([]string{"down", "j"}, "↓/j", "down"),
		PageUp:      bind([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
		PageDown:    bind([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
		Top:         bind([]string{"home", "g"}, "g", "top"),
		Bottom:      bind([]string{"end", "G"}, "G", "bottom"),
		Enter:       bind([]string{"enter"}, "enter", "details"),
		ApplyFix:    bind([]string{"F"}, "F", "apply fix"),
		RevertFix:   bind([]string{"U"}, "U", "revert fix"),
		Refresh:     bind([]string{"R"}, "R", "refetch network config"),
		Rebootstrap: bind([]string{"B"}, "B", "re-bootstrap"),
		Doctor:      bind([]string{"D"}, "D", "doctor's findings"),
		Sort:        bind([]string{"s"}, "s", "sort"),
		Reverse:     bind([]string{"S"}, "S", "reverse sort"),
		Kill:        bind([]string{"x"}, "x", "kill tunnel"),
		Connect:     bind([]string{"c"}, "c", "connect to peer"),
		TracePeer:   bind([]string{"t"}, "t", "trace to peer"),
		AllRoutes:   bind([]string{"a"}, "a", "re6st/all routes"),
		ExplainAddr: bind([]string{"e"}, "e", "explain address"),
		Left:        bind([]string{"left", "h"}, "←/h", "previous table"),
		Right:       bind([]string{"right", "l"}, "→/l", "next table"),
		Level:       bind([]string{"v"}, "v", "level filter"),
		Follow:      bind([]string{"f", "space"}, "f", "follow/pause"),
		Wrap:        bind([]string{"w"}, "w", "wrap/cut long lines"),
		NewTrace:    bind([]string{"enter", "t"}, "enter", "new destination"),
		StopTrace:   bind([]string{"s"}, "s", "stop trace"),
		Yes:         bind([]string{"y", "enter"}, "y", "yes"),
		No:          bind([]string{"n", "esc"}, "n", "no"),
	}
}

// keyHelp implements help.KeyMap for one tab.
type keyHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h keyHelp) ShortHelp() []key.Binding  { return h.short }
func (h keyHelp) FullHelp() [][]key.Binding { return h.full }

// doctorHelp returns the keys of the doctor's view.
func (k keyMap) doctorHelp() keyHelp {
	own := []key.Binding{withHelp(k.Enter, "details"), withHelp(k.ApplyFix, "fix the selected"), withHelp(k.RevertFix, "revert its fix"), withHelp(k.Back, "close")}
	move := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	global := []key.Binding{k.Tab1, k.Help, k.Quit, k.ForceQuit}
	return keyHelp{short: append([]key.Binding{k.Help, k.Quit}, own...), full: [][]key.Binding{own, move, global}}
}

// helpFor returns the keys that matter on a tab.
func (k keyMap) helpFor(t tab) keyHelp {
	global := []key.Binding{k.Tab1, k.NextTab, k.PrevTab, k.Filter, k.Back, k.Help, k.Quit, k.ForceQuit}
	move := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	node := []key.Binding{k.Doctor, k.ApplyFix, k.RevertFix, k.Refresh, k.Rebootstrap}
	var own []key.Binding
	switch t {
	case tabPeers:
		own = []key.Binding{k.Enter, k.Sort, k.Reverse, k.Kill, k.Connect, k.TracePeer}
	case tabRoutes:
		own = []key.Binding{withHelp(k.Enter, "explain"), k.ExplainAddr, k.AllRoutes}
	case tabBabel:
		own = []key.Binding{k.Left, k.Right}
	case tabLogs:
		own = []key.Binding{k.Level, k.Follow, k.Wrap}
	case tabTrace:
		own = []key.Binding{k.NewTrace, k.StopTrace}
	}
	short := append([]key.Binding{k.Help, k.Quit, k.Tab1, k.Filter}, own...)
	return keyHelp{short: short, full: [][]key.Binding{own, move, node, global}}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

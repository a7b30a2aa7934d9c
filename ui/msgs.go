package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// commandTimeout bounds every engine command the dashboard sends.
const commandTimeout = 30 * time.Second

type (
	// tickMsg brings the time in; View never reads the clock.
	tickMsg time.Time
	// eventMsg carries one engine event.
	eventMsg struct{ ev state.Event }
	// goneMsg says the subscription channel closed.
	goneMsg struct{}
	// resubscribedMsg carries a fresh snapshot and subscription.
	resubscribedMsg struct {
		st     state.State
		events <-chan state.Event
	}
	// resultMsg is the outcome of a command.
	resultMsg struct {
		what string
		err  error
	}
	// traceStartedMsg carries the hop stream of trace id.
	traceStartedMsg struct {
		id   int
		hops <-chan state.Hop
		err  error
	}
	// hopMsg is one hop update of trace id.
	hopMsg struct {
		id  int
		hop state.Hop
	}
	// traceEndedMsg says trace id's stream closed.
	traceEndedMsg struct{ id int }
)

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func waitForEvent(ch <-chan state.Event) tea.Cmd {
	return func() tea.Msg {
		if ev, ok := <-ch; ok {
			return eventMsg{ev}
		}
		return goneMsg{}
	}
}

func resubscribe(ctx context.Context, eng Engine) tea.Cmd {
	return func() tea.Msg {
		ch := eng.Subscribe(ctx)
		return resubscribedMsg{st: eng.Snapshot(), events: ch}
	}
}

// runCommand runs one engine command under a timeout and reports it.
func runCommand(ctx context.Context, what string, fn func(context.Context) error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		return resultMsg{what: what, err: fn(ctx)}
	}
}

func startTrace(ctx context.Context, eng Engine, id int, dst string) tea.Cmd {
	return func() tea.Msg {
		hops, err := eng.StartTrace(ctx, dst)
		return traceStartedMsg{id: id, hops: hops, err: err}
	}
}

func waitForHop(id int, ch <-chan state.Hop) tea.Cmd {
	return func() tea.Msg {
		if h, ok := <-ch; ok {
			return hopMsg{id: id, hop: h}
		}
		return traceEndedMsg{id: id}
	}
}

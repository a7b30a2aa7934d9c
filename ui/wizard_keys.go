package ui

import (
	"context"
	"strings"

	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

func (w *Wizard) key(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	if k == "ctrl+c" {
		return tea.Quit
	}
	if w.input.Focused() {
		return w.inputKey(msg)
	}
	if k == "q" && w.step != wEnrolling && w.step != wWriting {
		return tea.Quit
	}
	switch w.step {
	case wCA:
		return w.caKey(k)
	case wAuth:
		return w.authKey(k)
	case wCert:
		if k == "enter" {
			w.step = wWriting
			return writeFiles(w.ctx, w.enr)
		}
	case wError:
		return w.errorKey(k)
	case wDone:
		if k == "enter" {
			return tea.Quit
		}
	}
	return nil
}

func (w *Wizard) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		return w.submit(strings.TrimSpace(w.input.Value()))
	case "esc":
		return w.back()
	}
	in, cmd := w.input.Update(msg)
	w.input = in
	return cmd
}

// submit takes the text typed on the current step.
func (w *Wizard) submit(v string) tea.Cmd {
	switch w.step {
	case wURL:
		if hint := checkURL(v); hint != "" {
			w.input.Err = errString(hint)
			return nil
		}
		w.input.Err = nil
		w.opts.URL, w.step = v, wFetching
		w.input.Blur()
		return fetchCA(w.ctx, w.enr, v)
	case wEmail:
		if !strings.Contains(v, "@") {
			w.input.Err = errString("type an e-mail address such as you@example.net")
			return nil
		}
		w.email = v
		w.input.Blur()
		return requestToken(w.ctx, w.enr, v)
	case wToken:
		if v == "" {
			w.input.Err = errString("paste the token from the e-mail, or esc to choose another way")
			return nil
		}
		w.input.Blur()
		return w.enroll(state.EnrollRequest{Email: w.email, Token: v})
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func (w *Wizard) caKey(k string) tea.Cmd {
	switch k {
	case "y", "enter":
		w.step = wAuth
	case "n", "esc":
		return w.back()
	}
	return nil
}

func (w *Wizard) authKey(k string) tea.Cmd {
	switch k {
	case "e":
		w.step = wEmail
		return w.ask("e-mail: ", "you@example.net", w.email)
	case "t":
		w.step = wToken
		return w.ask("token: ", "the token the registry sent you", "")
	case "a":
		return w.enroll(state.EnrollRequest{})
	case "esc":
		return w.back()
	}
	return nil
}

func (w *Wizard) errorKey(k string) tea.Cmd {
	switch k {
	case "enter": // retry the failed step
		switch w.failed {
		case wFetching:
			w.step = wFetching
			return fetchCA(w.ctx, w.enr, w.opts.URL)
		case wEmail:
			w.step = wEmail
			return requestToken(w.ctx, w.enr, w.email)
		case wEnrolling:
			return w.enroll(w.req)
		case wWriting:
			w.step = wWriting
			return writeFiles(w.ctx, w.enr)
		}
	case "esc":
		return w.back()
	}
	return nil
}

// back goes to the screen where the person can change their answer.
func (w *Wizard) back() tea.Cmd {
	step := w.step
	if step == wError {
		step = w.failed
	}
	w.err = nil
	switch step {
	case wFetching, wCA, wURL:
		w.step = wURL
		return w.ask("registry URL: ", "http://registry.example.net/", w.opts.URL)
	case wEmail, wToken, wEnrolling:
		w.step = wAuth
		w.input.Blur()
	case wWriting:
		w.step = wCert
	}
	return nil
}

func (w *Wizard) enroll(req state.EnrollRequest) tea.Cmd {
	w.req, w.step, w.progress = req, wEnrolling, state.EnrollProgress{}
	return startEnroll(w.ctx, w.enr, req)
}

func fetchCA(ctx context.Context, enr Enroller, u string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		ca, err := enr.FetchCA(ctx, u)
		return caMsg{ca, err}
	}
}

func requestToken(ctx context.Context, enr Enroller, email string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		return tokenSentMsg{enr.RequestToken(ctx, email)}
	}
}

// startEnroll runs Enroll in its own goroutine; progress and the result
// come back through one channel, read one message per Cmd.
func startEnroll(ctx context.Context, enr Enroller, req state.EnrollRequest) tea.Cmd {
	return func() tea.Msg {
		ch := make(chan tea.Msg, 64)
		go func() {
			defer close(ch)
			e, err := enr.Enroll(ctx, req, func(p state.EnrollProgress) {
				select { // progress may be skipped, never the result
				case ch <- progressMsg{p}:
				default:
				}
			})
			ch <- enrolledMsg{e, err}
		}()
		return enrollStartMsg{ch}
	}
}

func waitEnroll(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		if msg, ok := <-ch; ok {
			return msg
		}
		return nil
	}
}

func writeFiles(ctx context.Context, enr Enroller) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		files, err := enr.WriteFiles(ctx)
		return filesMsg{files, err}
	}
}

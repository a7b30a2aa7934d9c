package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"re6st-tui/ui/fake"
)

func newWizard(t *testing.T, fail map[string]error) (*Wizard, *fake.Enroller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	enr := &fake.Enroller{Fail: fail, Now: t0, Dir: "/etc/re6stnet"}
	w := NewWizard(ctx, enr, WizardOptions{Dir: "/etc/re6stnet"})
	w.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return w, enr
}

// wpress sends keys to w and runs the commands that answer at once
// (engine calls), the way a Program would, until none is left.
func wpress(w *Wizard, keys ...string) {
	for _, k := range keys {
		_, cmd := w.Update(keyMsg(k))
		wrun(w, cmd)
	}
}

func wtype(w *Wizard, s string) {
	for _, r := range s {
		w.Update(keyMsg(string(r)))
	}
}

// wrun runs the wizard's own commands; the input's cursor blink is the
// only other command and is recognised by its message being dropped.
func wrun(w *Wizard, cmd tea.Cmd) {
	for cmd != nil {
		switch w.step {
		case wFetching, wEmail, wToken, wEnrolling, wWriting, wAuth:
		default:
			return
		}
		msg := cmd()
		switch msg.(type) {
		case caMsg, tokenSentMsg, enrollStartMsg, progressMsg, enrolledMsg, filesMsg:
		default:
			return
		}
		_, cmd = w.Update(msg)
	}
}

func wscreen(t *testing.T, w *Wizard) string {
	t.Helper()
	s := ansi.Strip(w.View().Content)
	if n := strings.Count(s, "\n") + 1; n != w.height {
		t.Errorf("wizard view has %d lines, want %d", n, w.height)
	}
	return s
}

var errDown = errors.New("dial tcp 198.18.0.10:80: connection refused")

func TestWizardAnonymous(t *testing.T) {
	w, _ := newWizard(t, nil)
	screens := map[string]string{}
	screens["1-url"] = wscreen(t, w)
	wtype(w, "http://198.18.0.10/")
	wpress(w, "enter")
	screens["2-ca"] = wscreen(t, w)
	wpress(w, "y")
	screens["3-auth"] = wscreen(t, w)
	wpress(w, "a")
	screens["5-cert"] = wscreen(t, w)
	wpress(w, "enter")
	screens["6-done"] = wscreen(t, w)
	if !w.Done() || len(w.Result().Files) != 4 {
		t.Fatalf("not done: step %d files %v", w.step, w.Result().Files)
	}
	_, cmd := w.Update(keyMsg("enter"))
	if !isQuit(cmd) {
		t.Fatal("enter on the last screen did not finish")
	}
	for name, s := range screens {
		t.Run(name, func(t *testing.T) { requireGolden(t, s) })
	}
}

func TestWizardToken(t *testing.T) {
	w, _ := newWizard(t, nil)
	wtype(w, "http://198.18.0.10/")
	wpress(w, "enter", "y", "e")
	wtype(w, "nobody")
	wpress(w, "enter")
	if w.input.Err == nil || w.step != wEmail {
		t.Fatal("an address without @ was taken")
	}
	wtype(w, "@example.net")
	wpress(w, "enter")
	if w.step != wToken {
		t.Fatalf("step %d after e-mail, want token", w.step)
	}
	requireGolden(t, wscreen(t, w))
	wtype(w, "s3cret")
	wpress(w, "enter")
	if w.step != wCert || w.req.Token != "s3cret" || w.req.Email != "nobody@example.net" {
		t.Fatalf("step %d req %+v", w.step, w.req)
	}
}

func TestWizardEnrollingProgress(t *testing.T) {
	w, _ := newWizard(t, nil)
	w.step = wEnrolling
	w.Update(progressMsg{p: fakeProgress(0.36)})
	requireGolden(t, wscreen(t, w))
}

func TestWizardBadURL(t *testing.T) {
	for _, in := range []string{"", "198.18.0.10", "ftp://x/"} {
		w, _ := newWizard(t, nil)
		wtype(w, in)
		wpress(w, "enter")
		if w.step != wURL || w.input.Err == nil {
			t.Errorf("%q: step %d err %v, want an error on the URL screen", in, w.step, w.input.Err)
		}
	}
	w, _ := newWizard(t, nil)
	wtype(w, "198.18.0.10")
	wpress(w, "enter")
	requireGolden(t, wscreen(t, w))
}

// TestWizardErrors renders every failing step, retries it, and goes back.
func TestWizardErrors(t *testing.T) {
	cases := []struct {
		name, fail string
		keys       []string
		failed     wizardStep
		backTo     wizardStep
	}{
		{"fetch-ca", fake.FailFetchCA, nil, wFetching, wURL},
		{"request-token", fake.FailRequestToken, []string{"y", "e", "@"}, wEmail, wAuth},
		{"enroll-anonymous", fake.FailEnroll, []string{"y", "a"}, wEnrolling, wAuth},
		{"enroll-token", fake.FailEnroll, []string{"y", "t", "x", "enter"}, wEnrolling, wAuth},
		{"write-files", fake.FailWriteFiles, []string{"y", "a", "enter"}, wWriting, wCert},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, enr := newWizard(t, map[string]error{c.fail: errDown})
			wtype(w, "http://198.18.0.10/")
			wpress(w, "enter")
			for _, k := range c.keys {
				if len(k) == 1 && w.input.Focused() {
					wtype(w, k)
					if w.step == wEmail {
						wtype(w, "x.net")
						wpress(w, "enter")
					}
					continue
				}
				wpress(w, k)
			}
			if w.step != wError || w.failed != c.failed {
				t.Fatalf("step %d failed %d, want error at %d", w.step, w.failed, c.failed)
			}
			s := wscreen(t, w)
			if !strings.Contains(s, "connection refused") || !strings.Contains(s, "enter tries again") {
				t.Errorf("error screen lacks the error or what to do:\n%s", s)
			}
			requireGolden(t, s)
			delete(enr.Fail, c.fail) // the retry succeeds
			wpress(w, "enter")
			if w.step == wError {
				t.Fatalf("retry failed again: %v", w.err)
			}
			enr.Fail[c.fail] = errDown
			w.fail(c.failed, errDown)
			wpress(w, "esc")
			if w.step != c.backTo {
				t.Errorf("esc from the error: step %d, want %d", w.step, c.backTo)
			}
		})
	}
}

func TestWizardQuitKeys(t *testing.T) {
	w, _ := newWizard(t, nil)
	if _, cmd := w.Update(keyMsg("q")); isQuit(cmd) {
		t.Fatal("q quit while typing the URL")
	}
	if _, cmd := w.Update(keyMsg("ctrl+c")); !isQuit(cmd) {
		t.Fatal("ctrl+c did not quit")
	}
	w.input.Blur()
	w.step = wAuth
	if _, cmd := w.Update(keyMsg("q")); !isQuit(cmd) {
		t.Fatal("q did not quit on a choice screen")
	}
}

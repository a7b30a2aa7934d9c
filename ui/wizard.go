package ui

import (
	"context"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// wizardStep is one screen of the enrollment wizard.
type wizardStep int

const (
	wURL       wizardStep = iota // type the registry URL
	wFetching                    // downloading the CA
	wCA                          // check the fingerprint
	wAuth                        // e-mail token, token, or anonymous
	wEmail                       // type the e-mail address
	wToken                       // type the token
	wEnrolling                   // key generation and signing
	wCert                        // certificate received
	wWriting                     // writing files
	wDone                        // files written
	wError                       // a step failed; err and failed say which
)

// WizardOptions tunes NewWizard.
type WizardOptions struct {
	URL  string // registry URL to start with
	Dir  string // where the files go, shown to the person
	Last string // what Enter does on the last screen; "starts the node" if empty
}

// WizardResult is what the wizard produced once Done.
type WizardResult struct {
	Enrollment state.Enrollment
	Files      []string
}

// Wizard is the enrollment wizard: registry URL → CA fingerprint →
// e-mail and token, or anonymous → key generation → certificate →
// configuration written.
type Wizard struct {
	ctx    context.Context
	enr    Enroller
	opts   WizardOptions
	styles Styles

	step          wizardStep
	failed        wizardStep // the step that failed, for wError
	err           error
	width, height int

	input    textinput.Model
	ca       state.CAInfo
	email    string
	req      state.EnrollRequest
	progress state.EnrollProgress
	bar      progress.Model
	enrollCh <-chan tea.Msg // the running enrollment's progress and result
	enrolled state.Enrollment
	files    []string
	done     bool
}

type (
	caMsg struct {
		ca  state.CAInfo
		err error
	}
	tokenSentMsg   struct{ err error }
	enrollStartMsg struct{ ch <-chan tea.Msg }
	progressMsg    struct{ p state.EnrollProgress }
	enrolledMsg    struct {
		e   state.Enrollment
		err error
	}
	filesMsg struct {
		files []string
		err   error
	}
)

// NewWizard returns a wizard that enrolls through enr.
func NewWizard(ctx context.Context, enr Enroller, opts WizardOptions) *Wizard {
	w := &Wizard{ctx: ctx, enr: enr, opts: opts, styles: DefaultStyles(), width: 80, height: 24,
		bar: progress.New(progress.WithWidth(40), progress.WithFillCharacters('█', '░'), progress.WithColors(colorAccent))}
	w.ask("registry URL: ", "http://registry.example.net/", opts.URL)
	return w
}

// Done reports whether the configuration was written.
func (w *Wizard) Done() bool { return w.done }

// Result returns what the wizard produced; valid once Done.
func (w *Wizard) Result() WizardResult {
	return WizardResult{Enrollment: w.enrolled, Files: w.files}
}

func (w *Wizard) ask(prompt, placeholder, value string) tea.Cmd {
	in := textinput.New()
	in.Prompt, in.Placeholder = prompt, placeholder
	in.SetWidth(50)
	in.SetValue(value)
	in.CursorEnd()
	w.input = in
	return w.input.Focus()
}

// Init implements tea.Model.
func (w *Wizard) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (w *Wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.width, w.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		return w, w.key(msg)
	case caMsg:
		return w, w.onCA(msg)
	case tokenSentMsg:
		return w, w.onTokenSent(msg)
	case enrollStartMsg:
		w.enrollCh = msg.ch
		return w, waitEnroll(w.enrollCh)
	case progressMsg:
		w.progress = msg.p
		return w, waitEnroll(w.enrollCh)
	case enrolledMsg:
		w.onEnrolled(msg)
	case filesMsg:
		w.onFiles(msg)
	default:
		if w.input.Focused() {
			in, cmd := w.input.Update(msg)
			w.input = in
			return w, cmd
		}
	}
	return w, nil
}

// fail shows the error screen for step.
func (w *Wizard) fail(step wizardStep, err error) {
	w.step, w.failed, w.err = wError, step, err
	w.input.Blur()
}

func (w *Wizard) onCA(msg caMsg) tea.Cmd {
	if msg.err != nil {
		w.fail(wFetching, msg.err)
		return nil
	}
	w.ca, w.step = msg.ca, wCA
	return nil
}

func (w *Wizard) onTokenSent(msg tokenSentMsg) tea.Cmd {
	if msg.err != nil {
		w.fail(wEmail, msg.err)
		return nil
	}
	w.step = wToken
	return w.ask("token: ", "the token from the e-mail", "")
}

func (w *Wizard) onEnrolled(msg enrolledMsg) {
	if msg.err != nil {
		w.fail(wEnrolling, msg.err)
		return
	}
	w.enrolled, w.step = msg.e, wCert
}

func (w *Wizard) onFiles(msg filesMsg) {
	if msg.err != nil {
		w.fail(wWriting, msg.err)
		return
	}
	w.files, w.step, w.done = msg.files, wDone, true
}

// checkURL catches the obvious mistakes before going to the network.
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "type the registry's URL, for example http://re6st.example.net/"
	case err != nil || u.Host == "":
		return "that is not a URL: it needs a scheme and a host, for example http://" + strings.TrimPrefix(s, "//") + "/"
	case u.Scheme != "http" && u.Scheme != "https":
		return "the URL must start with http:// or https://"
	}
	return ""
}

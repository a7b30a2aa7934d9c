package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"re6st-tui/node/state"
)

var wizardTitles = map[wizardStep]string{
	wURL: "Registry", wFetching: "Registry", wCA: "Check the CA", wAuth: "Who are you?",
	wEmail: "E-mail", wToken: "Token", wEnrolling: "Key and certificate", wCert: "Certificate",
	wWriting: "Configuration", wDone: "Done", wError: "Something went wrong",
}

// stepNumber maps a screen to its place among the six stages.
func stepNumber(s wizardStep) int {
	switch s {
	case wURL, wFetching:
		return 1
	case wCA:
		return 2
	case wAuth, wEmail, wToken:
		return 3
	case wEnrolling:
		return 4
	case wCert:
		return 5
	}
	return 6
}

// View implements tea.Model.
func (w *Wizard) View() tea.View {
	st := &w.styles
	n := stepNumber(w.step)
	if w.step == wError {
		n = stepNumber(w.failed)
	}
	head := st.Title.Render("re6st-tui · join a re6st network") + "  " +
		st.Dim.Render(fmt.Sprintf("step %d of 6: %s", n, wizardTitles[w.step]))
	body := w.body()
	box := st.Box.Width(min(lipgloss.Width(body)+4, w.width, 78)).Render(body)
	help := st.Dim.Render(w.helpLine())
	screen := head + "\n\n" + box + "\n" + help
	v := tea.NewView(fitLines(screen, w.width, w.height))
	v.AltScreen = true
	v.WindowTitle = "re6st-tui enroll"
	return v
}

func (w *Wizard) body() string {
	switch w.step {
	case wURL:
		return "Type the address of your network's registry.\n\n" + w.inputView()
	case wFetching:
		return "Fetching the CA certificate from " + w.opts.URL + " …"
	case wCA:
		return w.caView()
	case wAuth:
		return "How do you join?\n\n" +
			"  e  e-mail me a token (the registry sends one to your address)\n" +
			"  t  I have a token already\n" +
			"  a  anonymously (only if the registry allows it)"
	case wEmail:
		return "Your e-mail address; the registry mails a token to it.\n\n" + w.inputView()
	case wToken:
		return w.tokenText() + "\n\n" + w.inputView()
	case wEnrolling:
		return w.enrollingView()
	case wCert:
		e := w.enrolled
		return fmt.Sprintf("Certificate received.\n\nprefix   %s\nsubject  %s\nserial   %s\nexpires  %s\n\nEnter finishes: the configuration is written%s.",
			e.Prefix, e.Subject, e.Serial, e.NotAfter.UTC().Format("2006-01-02"), w.dirText())
	case wWriting:
		return "Writing the configuration" + w.dirText() + " …"
	case wDone:
		last := w.opts.Last
		if last == "" {
			last = "starts the node with this configuration"
		}
		return "Configuration written:\n\n  " + strings.Join(w.files, "\n  ") + "\n\nEnter " + last + "."
	}
	return w.errorView()
}

func (w *Wizard) inputView() string {
	s := w.input.View()
	if w.input.Err != nil {
		s += "\n" + w.styles.Error.Render("✗ "+w.input.Err.Error())
	}
	return s
}

func (w *Wizard) dirText() string {
	if w.opts.Dir == "" {
		return ""
	}
	return " to " + w.opts.Dir
}

func (w *Wizard) tokenText() string {
	if w.email != "" {
		return "A token was sent to " + w.email + ". Paste it here."
	}
	return "Paste the token the registry sent you."
}

func (w *Wizard) caView() string {
	ca := w.ca
	fp := ca.Fingerprint
	if len(fp) > 47 { // two lines of 16 bytes read better than one of 32
		fp = fp[:47] + "\n             " + fp[48:]
	}
	network := "-"
	if ca.Network.IsValid() {
		network = ca.Network.String()
	}
	return fmt.Sprintf("The registry at %s presents this CA:\n\nsubject      %s\nexpires      %s\nnetwork      %s\nSHA-256      %s\n\n"+
		"Compare the fingerprint with the one your network's administrator\ngave you. Trust it only if they match.",
		ca.URL, ca.Subject, ca.NotAfter.UTC().Format("2006-01-02"), network, w.styles.Bold.Render(fp))
}

var stepText = map[state.EnrollStep]string{
	state.StepKeygen:   "generating the private key",
	state.StepRequest:  "asking the registry to sign it",
	state.StepReceived: "certificate received",
}

func (w *Wizard) enrollingView() string {
	how := "anonymously"
	if !w.req.Anonymous() {
		how = "with your token"
	}
	what := stepText[w.progress.Step]
	if what == "" {
		what = "starting"
	}
	if w.progress.Detail != "" {
		what += " (" + w.progress.Detail + ")"
	}
	return fmt.Sprintf("Enrolling %s.\n\n%s\n%s", how, w.bar.ViewAs(w.progress.Fraction), what)
}

// errorHints tell, per failed step, what the person can do next.
var errorHints = map[wizardStep]string{
	wFetching: "Check the URL (scheme, host and port) and that this machine\nreaches the registry.\n\nenter tries again · esc edits the URL",
	wEmail:    "Check the address; the registry must be able to send mail.\n\nenter tries again · esc picks another way (token or anonymous)",
	wWriting:  "Check that you may write there (run as root, or choose\nanother directory).\n\nenter tries again · esc goes back to the certificate",
}

const (
	hintToken = "The registry refused or could not be reached. A wrong or\nalready used token is the usual cause: ask for a new one.\n\nenter tries again · esc picks another way"
	hintAnon  = "This registry may not accept anonymous nodes: ask its\nadministrator for a token, or choose e-mail to get one.\n\nenter tries again · esc picks another way"
)

func (w *Wizard) errorView() string {
	hint := errorHints[w.failed]
	if w.failed == wEnrolling {
		hint = hintToken
		if w.req.Anonymous() {
			hint = hintAnon
		}
	}
	return w.styles.Error.Render("✗ "+lipgloss.Wrap(w.err.Error(), 70, " /")) + "\n\n" + hint
}

func (w *Wizard) helpLine() string {
	switch w.step {
	case wURL, wEmail, wToken:
		return "enter next · esc back · ctrl+c quit"
	case wCA:
		return "y trust · n back · q quit"
	case wAuth:
		return "e / t / a choose · esc back · q quit"
	case wCert:
		return "enter write · q quit"
	case wError:
		return "enter retry · esc back · q quit"
	case wDone:
		return "enter continue · q quit"
	}
	return "ctrl+c quit"
}

package registry

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tokenLine is the body of token mails; TokensFromMbox looks for it.
const tokenLine = "Hello, your token to join re6st network is: "

func (r *Registry) tokenMail(to, token string) []byte {
	var b bytes.Buffer
	b.WriteString("Content-Type: text/plain; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n")
	b.WriteString("Subject: [re6stnet] Token Request\n")
	if from := r.cfg.CA.Email(); from != "" {
		fmt.Fprintf(&b, "From: %s\n", from)
	}
	fmt.Fprintf(&b, "To: %s\n\n%s%s\n", to, tokenLine, token)
	return b.Bytes()
}

func (r *Registry) mailToken(to, token string) error {
	msg := r.tokenMail(to, token)
	host := r.cfg.MailHost
	if filepath.IsAbs(host) || isFile(host) {
		if err := appendMbox(host, msg, r.now()); err != nil {
			return fmt.Errorf("append token mail to %s: %w", host, err)
		}
		return nil
	}
	if err := r.sendSMTP(host, to, msg); err != nil {
		return fmt.Errorf("send token mail via %s: %w", host, err)
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// appendMbox appends one message in mbox format, under an exclusive lock
// so that concurrent writers (and readers that lock) see whole messages.
func appendMbox(path string, msg []byte, now time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From MAILER-DAEMON %s\n", now.UTC().Format("Mon Jan _2 15:04:05 2006"))
	for _, line := range strings.SplitAfter(string(msg), "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
			b.WriteByte('>')
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	_, err = f.Write(b.Bytes())
	return err
}

func (r *Registry) sendSMTP(host, to string, msg []byte) error {
	addr := host
	if !strings.Contains(addr, ":") {
		addr += ":25"
	}
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if r.cfg.SMTPStartTLS {
		if err := c.StartTLS(nil); err != nil {
			return err
		}
	}
	if r.cfg.SMTPUser != "" {
		h, _, _ := strings.Cut(addr, ":")
		if err := c.Auth(smtp.PlainAuth("", r.cfg.SMTPUser, r.cfg.SMTPPassword, h)); err != nil {
			return err
		}
	}
	if err := c.Mail(r.cfg.CA.Email()); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// MailToken is a token found in an mbox file.
type MailToken struct {
	To    string
	Token string
}

// TokensFromMbox lists the registration tokens mailed into an mbox file,
// oldest first.
func TokensFromMbox(rd io.Reader) ([]MailToken, error) {
	var out []MailToken
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var to string
	inHeaders := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "From "):
			to, inHeaders = "", true
		case inHeaders && line == "":
			inHeaders = false
		case inHeaders:
			if v, ok := strings.CutPrefix(line, "To: "); ok {
				to = strings.TrimSpace(v)
			}
		default:
			if tok, ok := strings.CutPrefix(line, tokenLine); ok && validToken(tok) {
				out = append(out, MailToken{To: to, Token: tok})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mbox: %w", err)
	}
	return out, nil
}

func validToken(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

package registry

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// fakeSMTP accepts one message and sends its DATA to got.
func fakeSMTP(t *testing.T) (addr string, got <-chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		say := func(s string) { c.Write([]byte(s + "\r\n")) }
		say("220 fake ESMTP")
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 fake")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				ch <- data.String()
				say("250 queued")
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				say("502 no")
			}
		}
	}()
	return ln.Addr().String(), ch
}

func TestRequestTokenSMTP(t *testing.T) {
	addr, got := fakeSMTP(t)
	cfg := testConfig(t.TempDir(), testCA())
	cfg.MailHost = addr
	r := openTest(t, cfg)
	if err := r.RequestToken("me@example.com"); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	toks, err := TokensFromMbox(strings.NewReader("From x\n" + strings.ReplaceAll(msg, "\r\n", "\n")))
	if err != nil || len(toks) != 1 || toks[0].To != "me@example.com" {
		t.Fatalf("mail %q: %v %v", msg, toks, err)
	}
	if !strings.Contains(msg, "Subject: [re6stnet] Token Request\r\n") || !strings.Contains(msg, "From: ca@example.com\r\n") {
		t.Errorf("headers:\n%s", msg)
	}
	if ok, _ := r.IsToken(toks[0].Token); !ok {
		t.Error("mailed token not stored")
	}
	// A dead mail host: 500, the token stays stored (as re6st does).
	cfg2 := testConfig(t.TempDir(), testCA())
	cfg2.MailHost = "127.0.0.1:1"
	r2 := openTest(t, cfg2)
	if err := r2.RequestToken("me@example.com"); err == nil || statusOf(err) != 500 {
		t.Errorf("dead SMTP host: %v", err)
	}
}

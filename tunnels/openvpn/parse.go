package openvpn

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxEnv bounds one >CLIENT: block so that a broken peer cannot make us
// grow a map forever; OpenVPN sends well under a hundred variables.
const maxEnv = 1024

// ErrMalformed marks a line the parser could not make sense of. The stream
// stays usable: the caller counts it and goes on.
var ErrMalformed = errors.New("malformed management line")

// Parser turns management-interface lines into messages. It keeps the state
// of a >CLIENT: block in progress; the zero value is ready to use.
type Parser struct {
	client *Client // block being collected, until >CLIENT:ENV,END
}

// Feed parses one line (without its line terminator). It returns a nil
// message while a multi-line notification is still incomplete.
func (p *Parser) Feed(line string) (Message, error) {
	line = strings.TrimRight(line, "\r\n")
	if p.client != nil {
		return p.feedEnv(line)
	}
	if !strings.HasPrefix(line, ">") {
		switch {
		case strings.HasPrefix(line, "SUCCESS:"):
			return Result{OK: true, Text: strings.TrimSpace(line[len("SUCCESS:"):])}, nil
		case strings.HasPrefix(line, "ERROR:"):
			return Result{OK: false, Text: strings.TrimSpace(line[len("ERROR:"):])}, nil
		}
		return Line{Text: line}, nil
	}
	source, text, ok := strings.Cut(line[1:], ":")
	if !ok || source == "" {
		return nil, fmt.Errorf("%w: no source keyword in %q", ErrMalformed, clip(line))
	}
	switch source {
	case "STATE":
		return parseState(text)
	case "BYTECOUNT":
		return parseByteCount(text, false)
	case "BYTECOUNT_CLI":
		return parseByteCount(text, true)
	case "LOG":
		return parseLog(text)
	case "CLIENT":
		return p.startClient(text)
	}
	return Notice{Source: source, Text: text}, nil
}

func (p *Parser) startClient(text string) (Message, error) {
	f := strings.Split(text, ",")
	c := Client{Event: f[0], CID: -1, KID: -1}
	switch c.Event {
	case "CONNECT", "REAUTH", "CR_RESPONSE":
		if len(f) < 3 {
			return nil, fmt.Errorf("%w: >CLIENT:%s needs CID and KID: %q", ErrMalformed, c.Event, clip(text))
		}
		var err1, err2 error
		c.CID, err1 = strconv.ParseInt(f[1], 10, 64)
		c.KID, err2 = strconv.ParseInt(f[2], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%w: >CLIENT:%s ids: %v", ErrMalformed, c.Event, err)
		}
	case "ESTABLISHED", "DISCONNECT":
		if len(f) < 2 {
			return nil, fmt.Errorf("%w: >CLIENT:%s needs CID: %q", ErrMalformed, c.Event, clip(text))
		}
		var err error
		if c.CID, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			return nil, fmt.Errorf("%w: >CLIENT:%s id: %v", ErrMalformed, c.Event, err)
		}
	case "ADDRESS":
		// Single line: >CLIENT:ADDRESS,{CID},{ADDR},{PRI}.
		if len(f) < 4 {
			return nil, fmt.Errorf("%w: >CLIENT:ADDRESS needs 3 fields: %q", ErrMalformed, clip(text))
		}
		cid, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: >CLIENT:ADDRESS id: %v", ErrMalformed, err)
		}
		return Client{Event: "ADDRESS", CID: cid, KID: -1, Env: map[string]string{"addr": f[2], "primary": f[3]}}, nil
	case "ENV":
		return nil, fmt.Errorf("%w: >CLIENT:ENV outside a client block", ErrMalformed)
	default:
		// Unknown kinds from a newer OpenVPN still carry an ENV block
		// when they have ids; take the ids we can and collect it.
		if len(f) > 1 {
			c.CID, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	c.Env = map[string]string{}
	p.client = &c
	return nil, nil
}

func (p *Parser) feedEnv(line string) (Message, error) {
	kv, ok := strings.CutPrefix(line, ">CLIENT:ENV,")
	if !ok {
		// OpenVPN guarantees the block is atomic; anything else means the
		// stream is broken. Drop the block and parse the line afresh.
		p.client = nil
		msg, err := p.Feed(line)
		return msg, errors.Join(fmt.Errorf("%w: >CLIENT block cut by %q", ErrMalformed, clip(line)), err)
	}
	if kv == "END" {
		c := *p.client
		p.client = nil
		return c, nil
	}
	if len(p.client.Env) >= maxEnv {
		p.client = nil
		return nil, fmt.Errorf("%w: >CLIENT block longer than %d variables", ErrMalformed, maxEnv)
	}
	k, v, _ := strings.Cut(kv, "=")
	p.client.Env[k] = v
	return nil, nil
}

// parseState reads "time,name,desc,local_ip,remote_ip,remote_port,local_addr,local_port,local_ipv6".
func parseState(text string) (Message, error) {
	f := strings.Split(text, ",")
	if len(f) < 2 {
		return nil, fmt.Errorf("%w: >STATE needs time and name: %q", ErrMalformed, clip(text))
	}
	t, err := parseUnix(f[0])
	if err != nil {
		return nil, fmt.Errorf("%w: >STATE time: %v", ErrMalformed, err)
	}
	s := State{Time: t, Name: f[1]}
	if len(f) > 2 {
		s.Desc = f[2]
	}
	if len(f) > 3 {
		s.Local = f[3]
	}
	if len(f) > 5 {
		s.Remote = addrPort(f[4], f[5])
	}
	if len(f) > 7 {
		s.Bound = addrPort(f[6], f[7])
	}
	return s, nil
}

// addrPort is lenient: fields are optional and an unset one stays zero.
func addrPort(ip, port string) netip.AddrPort {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.AddrPort{}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(n))
}

func parseByteCount(text string, server bool) (Message, error) {
	f := strings.Split(text, ",")
	want := 2
	if server {
		want = 3
	}
	if len(f) != want {
		return nil, fmt.Errorf("%w: bytecount needs %d fields: %q", ErrMalformed, want, clip(text))
	}
	b := ByteCount{CID: -1}
	if server {
		cid, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: bytecount id: %v", ErrMalformed, err)
		}
		b.CID, f = cid, f[1:]
	}
	var err1, err2 error
	b.In, err1 = strconv.ParseUint(f[0], 10, 64)
	b.Out, err2 = strconv.ParseUint(f[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%w: bytecount: %v", ErrMalformed, err)
	}
	return b, nil
}

// parseLog reads "time,flags,text"; the text may itself hold commas.
func parseLog(text string) (Message, error) {
	ts, rest, ok := strings.Cut(text, ",")
	if !ok {
		return nil, fmt.Errorf("%w: >LOG needs time,flags,text: %q", ErrMalformed, clip(text))
	}
	flags, msg, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, fmt.Errorf("%w: >LOG needs time,flags,text: %q", ErrMalformed, clip(text))
	}
	t, err := parseUnix(ts)
	if err != nil {
		return nil, fmt.Errorf("%w: >LOG time: %v", ErrMalformed, err)
	}
	return Log{Time: t, Flags: flags, Text: msg}, nil
}

func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(n, 0), nil
}

// clip keeps error messages short when a peer sends huge lines.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

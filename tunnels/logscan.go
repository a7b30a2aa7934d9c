package tunnels

import (
	"net/netip"
	"strconv"
	"strings"
)

// logFacts gathers what OpenVPN only says in its log: the tun MTU and the
// options the server pushed. OpenVPN has no management notification for
// either, and no script runs to receive the pushed environment.
type logFacts struct {
	mtu        int
	externalIP netip.Addr
	reason     string // last error-looking line
	cipher     string // data channel cipher the server pushed ("none": off)
}

// scan reads one >LOG: line.
func (f *logFacts) scan(flags, text string) {
	// "Data Channel MTU parms [ ... tun_mtu:1500 ... ]" (verb 4), then
	// "OPTIONS IMPORT: tun-mtu set to 1500" if the server pushed one.
	if strings.Contains(text, "Data Channel MTU parms") {
		if _, v, ok := strings.Cut(text, " tun_mtu:"); ok {
			v, _, _ = strings.Cut(v, " ")
			f.setMTU(v)
		}
	}
	if v, ok := strings.CutPrefix(text, "OPTIONS IMPORT: tun-mtu set to "); ok {
		f.setMTU(strings.TrimSpace(v))
	}
	// "PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 198.18.0.12,...'"
	if _, v, ok := strings.Cut(text, "PUSH_REPLY,"); ok {
		for _, opt := range strings.Split(strings.TrimSuffix(v, "'"), ",") {
			if ip, ok := strings.CutPrefix(opt, "setenv-safe external_ip "); ok {
				if a, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil {
					f.externalIP = a.Unmap()
				}
			}
			// Negotiated by 2.6 servers; it is logged only after CONNECTED.
			if c, ok := strings.CutPrefix(opt, "cipher "); ok {
				f.cipher = c
			}
		}
	}
	if strings.ContainsAny(flags, "FN") || strings.Contains(text, "ERROR") ||
		strings.Contains(text, "AUTH_FAILED") || strings.Contains(text, "failed") {
		f.reason = text
	}
}

// setMTU keeps a tun MTU only if IPv6 can run over it: below 1280 the
// kernel turns IPv6 off on the tap, and Babel with it.
func (f *logFacts) setMTU(v string) {
	if n, err := strconv.Atoi(v); err == nil && n >= 1280 && n <= 65535 {
		f.mtu = n
	}
}

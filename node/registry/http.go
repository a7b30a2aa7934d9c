package registry

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// HMACHeader carries the request and response MACs of authenticated calls.
const HMACHeader = "Re6stHMAC"

// call is one decoded RPC request.
type call struct {
	args     map[string]string
	protocol int    // session protocol, for authenticated calls
	remote   string // TCP peer address
	fwd      string // X-Forwarded-For, whole value
}

// ServeHTTP implements the registry API (only GET; see the protocol
// reference §2). The raw request-target is authenticated, so the registry
// must be served at the root of its URL.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		httpError(w, http.StatusNotImplemented, "only GET is supported")
		return
	}
	target := req.RequestURI
	name, query, err := splitTarget(target)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	m, ok := methods[name]
	if !ok {
		httpError(w, http.StatusBadRequest, "unknown method "+name)
		return
	}
	args, err := ParseQuery(query)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := m.bind(args); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	c := &call{args: args, remote: remoteHost(req.RemoteAddr), fwd: req.Header.Get("X-Forwarded-For")}
	if m.private && !r.authorized(c.remote, c.fwd, req.Header.Values("X-Forwarded-For")) {
		httpError(w, http.StatusForbidden, "method restricted to authorized origins")
		return
	}
	var respKey []byte
	if m.auth {
		mac, err := base64.StdEncoding.DecodeString(req.Header.Get(HMACHeader))
		if err != nil || req.Header.Get(HMACHeader) == "" {
			httpError(w, http.StatusBadRequest, "missing or bad "+HMACHeader+" header")
			return
		}
		k, proto, err := r.sessions.check(args["cn"], []byte(target), mac)
		if err != nil {
			httpError(w, statusOf(err), err.Error())
			return
		}
		respKey, c.protocol = k[:], proto
	}
	if _, ok := args["ip"]; ok && args["ip"] == "" {
		args["ip"] = clientIP(c)
	}
	body, err := m.fn(r, c)
	if err != nil {
		code := statusOf(err)
		if code >= 500 {
			r.log.Warn("registry request failed", "method", name, "err", err)
		}
		httpError(w, code, err.Error())
		return
	}
	h := w.Header()
	h["Content-Type"] = nil // re6st sends none; keep Go from sniffing one
	if respKey != nil {
		mac := hmac.New(sha1.New, respKey)
		mac.Write(body)
		h.Set(HMACHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if len(body) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s: %s\n", code, http.StatusText(code), msg)
}

func remoteHost(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// clientIP is the address used for GeoIP when the client gave none: the
// first X-Forwarded-For entry, else the TCP peer.
func clientIP(c *call) string {
	if first, _, _ := strings.Cut(c.fwd, ","); strings.TrimSpace(first) != "" {
		return strings.TrimSpace(first)
	}
	return c.remote
}

// authorized applies re6st's origin rule: the peer address, and the whole
// X-Forwarded-For value when present, must be listed.
func (r *Registry) authorized(remote, fwd string, fwds []string) bool {
	if len(fwds) > 1 {
		return false
	}
	ok := func(a string) bool {
		if a == "127.0.0.1" || a == "::1" {
			return true
		}
		for _, o := range r.cfg.AuthorizedOrigin {
			if o == a {
				return true
			}
			if x, err := netip.ParseAddr(o); err == nil {
				if y, err := netip.ParseAddr(a); err == nil && x.Unmap() == y.Unmap() {
					return true
				}
			}
		}
		return false
	}
	return ok(remote) && (fwd == "" || ok(fwd))
}

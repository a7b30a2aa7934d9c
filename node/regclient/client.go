package regclient

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"re6st-tui/node/identity"
)

// Protocol is the protocol number sent in hello.
const Protocol = 10

// HMACHeader is the header carrying request and response MACs.
const HMACHeader = "Re6stHMAC"

// Errors callers can test with errors.Is / errors.As.
var (
	// ErrForbidden is a 403: the feature is disabled on the registry (or
	// the caller is not an authorized origin for a private method).
	ErrForbidden = errors.New("the registry refused (403): this registration method is disabled there, or you are not an authorized origin")
	// ErrInvalidToken is a 204 from requestCertificate.
	ErrInvalidToken = errors.New("invalid or expired token: request a new one (or check for typos)")
	// ErrBadMAC means an authenticated answer failed verification.
	ErrBadMAC = errors.New("registry answer failed HMAC verification")
)

// StatusError is an unexpected HTTP status.
type StatusError struct {
	Method string
	Code   int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("registry %s: unexpected status %d %s", e.Method, e.Code, http.StatusText(e.Code))
}

// UnreachableError wraps a transport failure.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("registry %s unreachable: %v (check the URL and the network)", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Client calls a registry. Authenticated calls are serialized: the
// session key rolls with every request.
type Client struct {
	url       string // scheme://host, without path
	path      string // base path, without trailing '/'
	HTTP      *http.Client
	UserAgent string
	Log       *slog.Logger

	mu     sync.Mutex
	ca     *identity.CA
	key    *rsa.PrivateKey
	prefix string
	secret []byte // next request key; nil when a hello is needed
}

// New returns a client for the registry at rawURL (http or https).
func New(rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q: use http://host[:port]/ or https://…", rawURL)
	}
	return &Client{
		url:       u.Scheme + "://" + u.Host,
		path:      strings.TrimRight(u.EscapedPath(), "/"),
		HTTP:      &http.Client{Timeout: 60 * time.Second},
		UserAgent: fmt.Sprintf("re6stnet/%s, %s-%s", "go", runtime.GOOS, runtime.GOARCH),
		Log:       slog.New(slog.DiscardHandler),
	}, nil
}

// SetIdentity sets what authenticated calls need: the CA (to verify the
// registry's hello), the node key and the node's binary prefix.
func (c *Client) SetIdentity(ca *identity.CA, key *rsa.PrivateKey, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ca, c.key, c.prefix, c.secret = ca, key, prefix, nil
}

// response is a decoded HTTP answer.
type response struct {
	code int
	body []byte
	mac  string
	has  bool // the HMAC header was present
}

func (c *Client) get(ctx context.Context, target string, mac []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+c.path+target, nil)
	if err != nil {
		return nil, err
	}
	// The MAC covers target byte for byte: url.Parse keeps the raw query
	// as given, and method names need no escaping.
	req.Header.Set("User-Agent", c.UserAgent)
	if mac != nil {
		req.Header.Set(HMACHeader, base64.StdEncoding.EncodeToString(mac))
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, &UnreachableError{URL: c.url + c.path, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &UnreachableError{URL: c.url + c.path, Err: err}
	}
	v, has := resp.Header[http.CanonicalHeaderKey(HMACHeader)]
	r := &response{code: resp.StatusCode, body: body, has: has}
	if has && len(v) > 0 {
		r.mac = v[0]
	}
	return r, nil
}

// call performs an unauthenticated RPC.
func (c *Client) call(ctx context.Context, method string, names []string, args map[string]string) ([]byte, int, error) {
	r, err := c.get(ctx, target(method, names, args), nil)
	if err != nil {
		return nil, 0, err
	}
	switch r.code {
	case http.StatusOK, http.StatusNoContent:
		return r.body, r.code, nil
	case http.StatusForbidden:
		return nil, r.code, ErrForbidden
	}
	return nil, r.code, &StatusError{Method: method, Code: r.code}
}

func target(method string, names []string, args map[string]string) string {
	t := "/" + method
	if len(names) > 0 {
		var b strings.Builder
		for i, n := range names {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(n) + "=" + url.QueryEscape(args[n]))
		}
		t += "?" + b.String()
	}
	return t
}

// authCall performs an RPC that needs a session (it has a cn parameter,
// always the client's own prefix). It follows re6st's client: on a
// refused or unverifiable answer the key is forgotten and, if that key
// came from an earlier hello, one fresh hello and retry are done.
func (c *Client) authCall(ctx context.Context, method string, names []string, args map[string]string) ([]byte, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key == nil || c.ca == nil {
		return nil, 0, errors.New("registry call needs an identity (CA, key, prefix): enroll first, then SetIdentity")
	}
	args["cn"] = c.prefix
	t := target(method, names, args)
	var last error
	for retry := true; retry; {
		key := c.secret
		if key == nil {
			retry = false
			k, err := c.hello(ctx)
			if err != nil {
				return nil, 0, err
			}
			key = k
		}
		h := hmac.New(sha1.New, key)
		h.Write([]byte(t))
		mac := h.Sum(nil)
		respKey := sha1.Sum(key)
		next := sha1.Sum(respKey[:])
		c.secret = next[:]
		r, err := c.get(ctx, t, mac)
		if err != nil {
			return nil, 0, err // key kept: the registry may not have seen it
		}
		switch r.code {
		case http.StatusOK, http.StatusNoContent:
			if !r.has {
				return nil, r.code, fmt.Errorf("registry %s: answer without %s header", method, HMACHeader)
			}
			got, derr := base64.StdEncoding.DecodeString(r.mac)
			v := hmac.New(sha1.New, respKey[:])
			v.Write(r.body)
			if derr == nil && hmac.Equal(got, v.Sum(nil)) {
				return r.body, r.code, nil
			}
			last = ErrBadMAC
		case http.StatusForbidden:
			return nil, r.code, ErrForbidden
		default:
			last = &StatusError{Method: method, Code: r.code}
		}
		c.Log.Debug("registry session reset", "method", method, "err", last)
		c.secret = nil
	}
	return nil, 0, last
}

// hello opens a session and returns its first key.
func (c *Client) hello(ctx context.Context) ([]byte, error) {
	body, _, err := c.call(ctx, "hello", []string{"client_prefix", "protocol"},
		map[string]string{"client_prefix": c.prefix, "protocol": fmt.Sprint(Protocol)})
	var status *StatusError
	if errors.As(err, &status) {
		return nil, err // it already says "registry hello: …"
	}
	if err != nil {
		return nil, fmt.Errorf("registry hello: %w", err)
	}
	return OpenHello(c.ca, c.key, body)
}

// OpenHello verifies a hello answer (ciphertext ‖ CA signature, equal
// halves) and decrypts the session key.
func OpenHello(ca *identity.CA, key *rsa.PrivateKey, body []byte) ([]byte, error) {
	n := len(body) / 2
	if n == 0 || len(body)%2 != 0 {
		return nil, fmt.Errorf("registry hello: answer of %d bytes is not ciphertext‖signature", len(body))
	}
	if err := ca.VerifySig(body[:n], body[n:]); err != nil {
		return nil, fmt.Errorf("registry hello not signed by the CA: %w", err)
	}
	k, err := identity.Decrypt(key, body[:n])
	if err != nil {
		return nil, fmt.Errorf("registry hello: %w", err)
	}
	return k, nil
}

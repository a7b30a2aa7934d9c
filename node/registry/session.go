package registry

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"net/http"
	"sync"

	"re6st-tui/node/identity"
)

// session is one candidate key of a node's registry session.
type session struct {
	key      [20]byte
	protocol int
}

// sessions holds, per prefix, at most two candidate keys: the rolled key
// the node really uses (first) and the key of the latest hello, so that
// someone calling hello for another node cannot break its session.
type sessions struct {
	mu sync.Mutex
	m  map[string][]session
}

func (s *sessions) hello(prefix string, k session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[prefix]
	if len(cur) > 1 {
		cur = cur[:1]
	}
	s.m[prefix] = append(cur, k)
}

func (s *sessions) drop(prefix string) {
	s.mu.Lock()
	delete(s.m, prefix)
	s.mu.Unlock()
}

// check finds the key whose HMAC of target equals mac, rolls the session
// to SHA1(SHA1(key)) and returns the response key SHA1(key).
func (s *sessions) check(prefix string, target, mac []byte) (resp [20]byte, protocol int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cands, ok := s.m[prefix]
	if !ok {
		return resp, 0, status(http.StatusUnauthorized, "no session for %s: call hello first", prefix)
	}
	for _, c := range cands {
		h := hmac.New(sha1.New, c.key[:])
		h.Write(target)
		if hmac.Equal(h.Sum(nil), mac) {
			resp = sha1.Sum(c.key[:])
			s.m[prefix] = []session{{sha1.Sum(resp[:]), c.protocol}}
			return resp, c.protocol, nil
		}
	}
	return resp, 0, status(http.StatusBadRequest, "wrong HMAC")
}

func (s *sessions) protocol(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.m[prefix]; len(c) > 0 {
		return c[0].protocol
	}
	return 0
}

// Hello opens a session for prefix: the answer is the new 20-byte secret
// encrypted for the node's key, followed by the CA's signature over it.
func (r *Registry) Hello(prefix string, protocol int) ([]byte, error) {
	r.mu.RLock()
	ci := r.certs[prefix]
	r.mu.RUnlock()
	if ci == nil || ci.pub == nil {
		return nil, status(http.StatusNotFound, "no certificate for prefix %s", prefix)
	}
	var k session
	if _, err := rand.Read(k.key[:]); err != nil {
		return nil, err
	}
	k.protocol = protocol
	c, err := identity.Encrypt(ci.pub, k.key[:])
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(r.cfg.CAKey, c)
	if err != nil {
		return nil, err
	}
	if len(sig) != len(c) {
		return nil, status(http.StatusInternalServerError, "node key size differs from the CA's")
	}
	r.sessions.hello(prefix, k)
	return append(c, sig...), nil
}

package peer

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"time"
)

const (
	// liveness is how long a peer may leave a message unanswered before
	// it counts as gone and the next send starts a new handshake.
	liveness = 60 * time.Second
	// Certificate hellos to a peer are spaced by a wait that starts at
	// hello0FirstWait and doubles up to hello0MaxWait (re6st's flat limit)
	// until a session is confirmed. re6st waits the full minute after any
	// hello0, so one lost handshake datagram, or two hello0s crossing,
	// left both sides mute for a minute; retrying soon recovers at once.
	hello0FirstWait = time.Second
	hello0MaxWait   = 60 * time.Second
	secretLen       = 20
)

// newSecret returns a session secret: microseconds since the epoch, then
// 12 random bytes. A newer secret compares greater byte-wise, which is how
// two crossing offers agree on one.
func newSecret(now time.Time, rand io.Reader) ([]byte, error) {
	s := make([]byte, secretLen)
	binary.BigEndian.PutUint64(s, uint64(now.UnixMicro()))
	if _, err := io.ReadFull(rand, s[8:]); err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	return s, nil
}

// session is the protocol state with one peer.
type session struct {
	prefix string

	cert     *x509.Certificate // verified; nil until the peer sent it
	pub      *rsa.PublicKey
	serial   *big.Int
	stopDate time.Time // the peer is forgotten at its certificate's notAfter

	key []byte // HMAC secret of the current session
	// recvSeq is the highest data seqno accepted; sendSeq the last sent.
	recvSeq, sendSeq uint32
	// confirmed: the peer answered since our last unanswered message.
	// Otherwise unanswered is when that message left (zero: none yet).
	confirmed  bool
	unanswered time.Time

	hello0After   time.Time     // no certificate hello before this
	hello0Wait    time.Duration // the next spacing; zero: hello0FirstWait
	protocol      uint64        // the peer's protocol for this session
	helloProtocol uint64        // the peer's protocol from its last hello
	version       []byte        // network version the peer is known to hold
}

func (s *session) connected(now time.Time) bool {
	return s.confirmed || (!s.unanswered.IsZero() && now.Before(s.unanswered.Add(liveness)))
}

// startSession installs a secret we offer: pending until the peer uses it.
func (s *session) startSession(key []byte) {
	s.key = key
	s.recvSeq, s.sendSeq = 2, 2
	s.confirmed, s.unanswered = false, time.Time{}
	s.protocol = s.helloProtocol
}

// acceptSession installs a secret the peer offered, if newer than ours.
func (s *session) acceptSession(key []byte) error {
	if bytes.Compare(key, s.key) <= 0 {
		return fmt.Errorf("offered secret is not newer than the current one")
	}
	s.key = key
	s.recvSeq, s.sendSeq = 2, 2
	s.protocol = s.helloProtocol
	s.confirm()
	return nil
}

// confirm records that the peer holds our session: a later handshake
// starts again from the shortest wait.
func (s *session) confirm() {
	s.confirmed, s.unanswered = true, time.Time{}
	s.hello0Wait = 0
}

// hello0Allowed reports whether a certificate hello may leave now, and
// if so spaces the next one.
func (s *session) hello0Allowed(now time.Time) bool {
	if now.Before(s.hello0After) {
		return false
	}
	wait := max(s.hello0Wait, hello0FirstWait)
	s.hello0After = now.Add(wait)
	s.hello0Wait = min(2*wait, hello0MaxWait)
	return true
}

// encode wraps a payload into the next data message.
func (s *session) encode(payload []byte) []byte {
	s.sendSeq++
	return encodeData(s.key, s.sendSeq, payload)
}

// sent arms the liveness timer after a non-empty message.
func (s *session) sent(now time.Time) {
	if s.confirmed || s.unanswered.IsZero() {
		s.confirmed, s.unanswered = false, now
	}
}

// decode accepts a data message with a valid HMAC and a fresh seqno.
func (s *session) decode(msg []byte) ([]byte, error) {
	seq, payload, err := decodeData(s.key, msg)
	if err != nil {
		return nil, err
	}
	if seq <= s.recvSeq {
		return nil, fmt.Errorf("seqno %d replayed (last %d)", seq, s.recvSeq)
	}
	s.recvSeq = seq
	s.confirm()
	return payload, nil
}

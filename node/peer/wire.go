package peer

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"

	"re6st-tui/node/packint"
)

// Port is re6st's UDP port for node-to-node messages.
const Port = 326

// Sequence numbers below 3 are handshake messages; data starts at 3.
const (
	seqHello0     = 0 // sender's certificate
	seqHello0FP   = 1 // protocol, fingerprint of the recipient's cert, sender's cert
	seqHello      = 2 // protocol, encrypted secret, signature
	firstDataSeq  = 3
	hmacLen       = sha1.Size
	fingerprintSz = sha1.Size
)

// Payload codes; 0x80 marks a message forwarded for the registry.
const (
	CodeVersion      = 0
	CodeAddress      = 1
	CodeKillRequest  = 2
	CodeKillResponse = 3
	CodeNodeInfo     = 4
	CodeTopology     = 5
	CodeLog          = 7
	forwardedBit     = 0x80
)

// ProtocolVersion is the re6st protocol number this node speaks.
const ProtocolVersion = 10

var (
	errShort = errors.New("message too short")
	errMAC   = errors.New("bad HMAC")
)

// hello0 is a decoded seqno 0 or 1 message.
type hello0 struct {
	protocol    uint64
	fingerprint []byte // nil for seqno 0
	certDER     []byte
}

func encodeHello0(protocol uint64, recipientFP []byte, certDER []byte) []byte {
	if recipientFP == nil {
		return append([]byte{0, 0, 0, seqHello0}, certDER...)
	}
	b := []byte{0, 0, 0, seqHello0FP}
	b, _ = packint.Append(b, protocol)
	b = append(b, recipientFP...)
	return append(b, certDER...)
}

// decodeHello0 decodes the body of a seqno 1 message (after the seqno).
// withProtocol false reads it as an old sender's, without the protocol.
func decodeHello0FP(body []byte, withProtocol bool) (hello0, error) {
	var h hello0
	if withProtocol {
		v, n, err := packint.Decode(body)
		if err != nil {
			return h, err
		}
		h.protocol, body = v, body[n:]
	}
	if len(body) < fingerprintSz {
		return h, errShort
	}
	h.fingerprint, h.certDER = body[:fingerprintSz], body[fingerprintSz:]
	return h, nil
}

func encodeHello(protocol uint64, withProtocol bool, ciphertext, signature []byte) []byte {
	b := []byte{0, 0, 0, seqHello}
	if withProtocol {
		b, _ = packint.Append(b, protocol)
	}
	b = append(b, ciphertext...)
	return append(b, signature...)
}

// decodeHello splits a seqno 2 body into protocol, ciphertext and
// signature. Like re6st, it reads a protocol integer first when there is
// one, then splits the rest in two equal halves.
func decodeHello(body []byte) (protocol uint64, ciphertext, signature []byte, err error) {
	if v, n, err := packint.Decode(body); err == nil {
		protocol, body = v, body[n:]
	}
	if len(body) == 0 || len(body)%2 != 0 {
		return 0, nil, nil, fmt.Errorf("hello of %d bytes: ciphertext and signature differ in size", len(body))
	}
	half := len(body) / 2
	return protocol, body[:half], body[half:], nil
}

// encodeData builds seqno ‖ payload ‖ HMAC-SHA1(key, seqno ‖ payload).
func encodeData(key []byte, seqno uint32, payload []byte) []byte {
	b := make([]byte, 4, 4+len(payload)+hmacLen)
	binary.BigEndian.PutUint32(b, seqno)
	b = append(b, payload...)
	m := hmac.New(sha1.New, key)
	m.Write(b)
	return m.Sum(b)
}

// decodeData checks the HMAC of a data message and returns its seqno and
// payload.
func decodeData(key []byte, msg []byte) (uint32, []byte, error) {
	if len(msg) < 4+hmacLen {
		return 0, nil, errShort
	}
	body, mac := msg[:len(msg)-hmacLen], msg[len(msg)-hmacLen:]
	m := hmac.New(sha1.New, key)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), mac) {
		return 0, nil, errMAC
	}
	return binary.BigEndian.Uint32(body), body[4:], nil
}

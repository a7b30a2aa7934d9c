package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/regclient"
	"re6st-tui/tunnels"
)

// revokeGrace is how long after adopting a new CRL the node keeps its
// tunnels to newly revoked peers: the new network version, just sent,
// still has to reach them through those tunnels, so that a revoked node
// learns it and renews its certificate (or stops).
const revokeGrace = time.Second

// crlDir is where OpenVPN finds the revoked serials (--crl-verify dir).
func (n *Node) crlDir() string { return filepath.Join(n.cfg.RunDir, "crl") }

// crlSet is the network's CRL, read by the loop and by the OpenVPN
// servers' admission of clients.
type crlSet struct {
	mu      sync.RWMutex
	serials map[uint64]bool
}

func (c *crlSet) set(serials []uint64) {
	m := make(map[uint64]bool, len(serials))
	for _, s := range serials {
		m[s] = true
	}
	c.mu.Lock()
	c.serials = m
	c.mu.Unlock()
}

// has reports whether serial is revoked.
func (c *crlSet) has(serial uint64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.serials[serial]
}

// revokedSerial reports whether a decimal serial, as OpenVPN gives it, is
// revoked.
func (c *crlSet) revokedSerial(s string) bool {
	v, ok := parseSerial(s)
	return ok && c.has(v)
}

// writeCRL adopts the network's CRL and gives it to OpenVPN: from then on
// both our servers and our clients refuse those certificates during the
// TLS handshake.
func (n *Node) writeCRL() error {
	n.crl.set(n.net.CRL)
	serials := make([]*big.Int, 0, len(n.net.CRL))
	for _, s := range n.net.CRL {
		serials = append(serials, new(big.Int).SetUint64(s))
	}
	return tunnels.SetRevoked(n.crlDir(), serials)
}

// revocationsChanged follows a new CRL: OpenVPN gets it now, and tunnels
// and sessions with revoked peers go after revokeGrace.
func (n *Node) revocationsChanged() {
	if err := n.writeCRL(); err != nil {
		n.log.Error("cannot give OpenVPN the new CRL", "err", err)
	}
	if n.ownRevoked() {
		return // we restart and renew; our peers drop us
	}
	n.revokeAt = time.Now().Add(revokeGrace)
}

// dropRevoked closes our client tunnels to revoked peers, disconnects
// revoked clients from our servers and forgets their peer-protocol
// sessions.
func (n *Node) dropRevoked(ctx context.Context) {
	for _, p := range n.proto.Forget(time.Now()) {
		n.log.Info("peer forgotten: certificate revoked or expired", "peer", identity.CN(p))
	}
	n.mgr.KillRevoked()
	n.disconnectRevoked(ctx)
}

// disconnectRevoked disconnects every revoked client from our servers,
// each alone: re6st restarts the whole node for this.
func (n *Node) disconnectRevoked(ctx context.Context) {
	tun, log, crl := n.tun, n.log, &n.crl
	// OpenVPN answers at once, but the loop never waits on a child.
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		gone, err := tun.DisconnectServed(ctx, func(t tunnels.Tunnel) bool { return crl.revokedSerial(t.Serial) })
		for _, t := range gone {
			log.Info("revoked client disconnected", "peer", t.CN, "iface", t.Iface, "serial", t.Serial)
		}
		if err != nil {
			log.Warn("disconnect revoked clients", "err", err)
		}
	}()
}

// ownRevoked reports whether the CRL holds our own certificate's serial.
func (n *Node) ownRevoked() bool {
	s := n.id.Cert.SerialNumber
	return s.IsUint64() && n.net.Revoked(s.Uint64())
}

// admit refuses clients whose certificate is revoked. OpenVPN's
// --crl-verify refuses them already; this covers a client whose TLS
// handshake passed just before the CRL changed.
func (n *Node) admit(p tunnels.Peer) error {
	if n.crl.revokedSerial(p.Serial) {
		return errors.New("certificate revoked")
	}
	return nil
}

// unknownToRegistry reports whether the registry said it has no
// certificate for us: our certificate was revoked by CN (deleted).
func unknownToRegistry(err error) bool {
	var se *regclient.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// ErrNotEnrolled is returned by Run when the registry no longer knows the
// node: nothing but a new enrollment can bring it back.
var ErrNotEnrolled = errors.New("the registry no longer knows this node (its certificate was revoked)")

func errNotEnrolled(err error) error {
	var se *regclient.StatusError
	errors.As(err, &se)
	return fmt.Errorf("%w: it answered %d to %s: enroll again with re6st-conf (or re6st-tui), then start the node", ErrNotEnrolled, se.Code, se.Method)
}

package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"re6st-tui/node/identity"
)

// Codes of the node protocol used on the ::1 channel.
const (
	CodeNetworkVersion byte = 0 // "the network config changed"
	CodeAddress        byte = 1 // peer address list
	CodeInfo           byte = 4 // "<version>, <platform>"
	CodeTopology       byte = 5 // "<k> <cn>…"
)

// queryTimeout is how long the registry waits for answers on ::1.
const queryTimeout = 3 * time.Second

// LocalNode is the registry's channel to its local re6st node, which forwards
// requests to peers (UDP port 326 on ::1) and knows the babel routes.
type LocalNode interface {
	// Send asks the local node to send a bare code to prefix.
	Send(prefix string, code byte) error
	// Recv returns the next reply, or an error once deadline passes.
	// Malformed datagrams are skipped by the implementation.
	Recv(deadline time.Time) (prefix string, code byte, text string, err error)
	// Routes lists the network prefixes (binary strings) currently routed.
	Routes(ctx context.Context) ([]string, error)
}

// UDPNode talks to the local node over [::1]:326 as re6st does; routes
// come from RoutesFunc (the babel routing table), none when nil.
type UDPNode struct {
	conn       *net.UDPConn
	dst        *net.UDPAddr
	RoutesFunc func(ctx context.Context) ([]string, error)
	dropped    atomic.Int64
}

// Dropped counts the malformed replies skipped so far.
func (n *UDPNode) Dropped() int64 { return n.dropped.Load() }

// NewUDPNode opens the unbound socket used to reach the local node.
func NewUDPNode(port int) (*UDPNode, error) {
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		return nil, fmt.Errorf("open ::1 channel to the local node: %w", err)
	}
	return &UDPNode{conn: c, dst: &net.UDPAddr{IP: net.IPv6loopback, Port: port}}, nil
}

// Close closes the socket.
func (n *UDPNode) Close() error { return n.conn.Close() }

// Send implements LocalNode.
func (n *UDPNode) Send(prefix string, code byte) error {
	_, err := n.conn.WriteToUDP(append([]byte(prefix), 0, code), n.dst)
	return err
}

// Recv implements LocalNode.
func (n *UDPNode) Recv(deadline time.Time) (string, byte, string, error) {
	buf := make([]byte, 1<<16)
	for {
		if err := n.conn.SetReadDeadline(deadline); err != nil {
			return "", 0, "", err
		}
		k, _, err := n.conn.ReadFromUDP(buf)
		if err != nil {
			return "", 0, "", err
		}
		p, code, text, err := ParseReply(buf[:k])
		if err != nil {
			n.dropped.Add(1)
			continue
		}
		return p, code, text, nil
	}
}

// Routes implements LocalNode.
func (n *UDPNode) Routes(ctx context.Context) ([]string, error) {
	if n.RoutesFunc == nil {
		return nil, nil
	}
	return n.RoutesFunc(ctx)
}

// ParseReply splits a ::1 datagram: prefix ‖ 0 ‖ code ‖ text.
func ParseReply(b []byte) (prefix string, code byte, text string, err error) {
	p, rest, ok := bytes.Cut(b, []byte{0})
	if !ok || len(p) == 0 || len(rest) == 0 {
		return "", 0, "", errors.New("malformed reply from the local node")
	}
	if err := identity.CheckBits(string(p)); err != nil {
		return "", 0, "", err
	}
	return string(p), rest[0], string(rest[1:]), nil
}

// notifyNode tells the local node that the network config changed.
func (r *Registry) notifyNode() {
	if r.cfg.Node == nil || r.prefix == "" {
		return
	}
	if err := r.cfg.Node.Send(r.prefix, CodeNetworkVersion); err != nil {
		r.log.Warn("cannot notify the local node", "prefix", r.prefix, "err", err)
	}
}

// queryAddress asks peer for its address list through the local node.
func (r *Registry) queryAddress(peer string) (string, bool) {
	if r.cfg.Node == nil {
		return "", false
	}
	r.query.Lock()
	defer r.query.Unlock()
	if err := r.cfg.Node.Send(peer, CodeAddress); err != nil {
		r.log.Warn("query address", "peer", peer, "err", err)
		return "", false
	}
	end := time.Now().Add(queryTimeout)
	for {
		p, code, text, err := r.cfg.Node.Recv(end)
		if err != nil {
			return "", false
		}
		// Older answers may still arrive: skip them.
		if p == peer && code == CodeAddress {
			return text, true
		}
	}
}

// bootstrapCache is the shuffled candidate list kept for 60 s.
type bootstrapCache struct {
	mu     sync.Mutex
	expiry time.Time
	peers  []string
}

func (r *Registry) routes() []string {
	if r.cfg.Node == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs, err := r.cfg.Node.Routes(ctx)
	if err != nil {
		r.log.Warn("read babel routes", "err", err)
	}
	return rs
}

// BootstrapPeer returns "<prefix> <addresses>" for a node asking for a
// first peer, or false when nobody answered.
func (r *Registry) BootstrapPeer(cn string, protocol int) (string, bool) {
	own := r.Prefix()
	r.peers.mu.Lock()
	if time.Now().After(r.peers.expiry) || len(r.peers.peers) == 0 {
		var ps []string
		for _, p := range r.routes() {
			if p != "" {
				ps = append(ps, p)
			}
		}
		ps = append(ps, own)
		rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		r.peers.peers, r.peers.expiry = ps, time.Now().Add(60*time.Second)
	}
	peer := r.peers.peers[len(r.peers.peers)-1]
	r.peers.peers = r.peers.peers[:len(r.peers.peers)-1]
	r.peers.mu.Unlock()
	if peer == cn {
		peer = own
	}
	msg, ok := r.queryAddress(peer)
	if !ok || msg == "" {
		return "", false
	}
	if protocol < 7 {
		msg = stripCountry(msg)
	}
	return peer + " " + msg, true
}

// stripCountry keeps the first 3 fields of each address (old peers).
func stripCountry(list string) string {
	es := strings.Split(list, ";")
	for i, e := range es {
		f := strings.Split(e, ",")
		if len(f) > 3 {
			es[i] = strings.Join(f[:3], ",")
		}
	}
	return strings.Join(es, ";")
}

// IPv4Information returns the first IP of the address list of the node
// registered with email, if it is routed and answers (re6st's version of
// this always answers nothing because of a bug).
func (r *Registry) IPv4Information(email string) (string, bool) {
	cn, ok := r.NodePrefix(email)
	if !ok {
		return "", false
	}
	peer, err := identity.PrefixFromCN(cn)
	if err != nil {
		return "", false
	}
	routed := false
	for _, p := range r.routes() {
		routed = routed || p == peer
	}
	if !routed {
		return "", false
	}
	msg, ok := r.queryAddress(peer)
	if !ok || msg == "" {
		return "", false
	}
	ip, _, _ := strings.Cut(msg, ",")
	return ip, true
}

// Versions asks every routed node and the registry node for its version
// string: JSON object prefix → "<version>, <platform>" or null.
func (r *Registry) Versions() []byte {
	set := map[string]bool{r.Prefix(): true}
	for _, p := range r.routes() {
		if p != "" {
			set[p] = true
		}
	}
	peers := make([]string, 0, len(set))
	for p := range set {
		peers = append(peers, p)
	}
	sort.Strings(peers)
	out := map[string]*string{}
	order := append([]string(nil), peers...)
	for _, p := range peers {
		out[p] = nil
	}
	if r.cfg.Node != nil {
		r.query.Lock()
		for _, p := range peers {
			if err := r.cfg.Node.Send(p, CodeInfo); err != nil {
				r.log.Warn("versions", "peer", p, "err", err)
			}
		}
		for {
			p, code, text, err := r.cfg.Node.Recv(time.Now().Add(queryTimeout))
			if err != nil {
				break
			}
			if code == CodeInfo {
				t := text
				if _, known := out[p]; !known {
					order = append(order, p)
				}
				out[p] = &t
			}
		}
		r.query.Unlock()
	}
	kw := make([]kv, 0, len(order))
	for _, p := range order {
		if v := out[p]; v != nil {
			kw = append(kw, kv{p, *v})
		} else {
			kw = append(kw, kv{p, nil})
		}
	}
	return dumps(kw)
}

// Topology crawls the tunnel graph from the registry node (code 5) and
// returns JSON: CN → CNs it has client tunnels to; "" lists every node
// that answered.
func (r *Registry) Topology() []byte {
	own := r.Prefix()
	graph := map[string]map[string]bool{}
	var keys []string
	add := func(k, v string) {
		if graph[k] == nil {
			graph[k] = map[string]bool{}
			keys = append(keys, k)
		}
		if v != "" {
			graph[k][v] = true
		}
	}
	if r.cfg.Node != nil && own != "" {
		r.query.Lock()
		queue := []string{identity.CN(own)}
		for {
			for len(queue) > 0 {
				first := queue[0]
				queue = queue[1:]
				if p, err := identity.PrefixFromCN(first); err == nil {
					if err := r.cfg.Node.Send(p, CodeTopology); err != nil {
						r.log.Warn("topology", "peer", p, "err", err)
					}
				}
			}
			p, code, text, err := r.cfg.Node.Recv(time.Now().Add(queryTimeout))
			if err != nil {
				break
			}
			if code != CodeTopology {
				continue
			}
			cn := identity.CN(p)
			f := strings.Fields(text)
			if len(f) == 0 {
				continue
			}
			var k int
			if _, err := fmt.Sscan(f[0], &k); err != nil || k < 0 || k > len(f)-1 {
				continue
			}
			rest := f[1:]
			if slices.Contains(rest, cn) {
				continue
			}
			add(cn, "")
			for _, s := range rest[:k] {
				graph[cn][s] = true
			}
			for _, x := range rest {
				if graph[x] == nil && !slices.Contains(queue, x) {
					queue = append(queue, x)
				}
			}
			for _, x := range rest[k:] {
				add(x, cn)
			}
			add("", cn)
		}
		r.query.Unlock()
	}
	kw := make([]kv, 0, len(keys))
	for _, k := range keys {
		vs := make([]string, 0, len(graph[k]))
		for v := range graph[k] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		kw = append(kw, kv{k, vs})
	}
	return dumps(kw)
}

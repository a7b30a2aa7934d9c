package tunnels

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"re6st-tui/tunnels/openvpn"
)

// client is one outgoing tunnel: a tap and, in turn, one openvpn process
// per address tried.
type client struct {
	cn    string
	addrs []Address
	iface string

	mu     sync.Mutex // guards proc and closed
	proc   *openvpn.Process
	closed bool
}

func (c *client) current() *openvpn.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc
}

// close marks the tunnel as wanted no more and returns its process.
func (c *client) close() *openvpn.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.proc
}

// Open starts a tunnel to the peer whose certificate CN is cn, trying addrs
// in order until one connects. It returns the tap device at once; the
// outcome arrives as a Connected or Failed event, and the end of a tunnel
// that was up as Exited.
func (m *Manager) Open(cn string, addrs []Address) (string, error) {
	if cn == "" {
		return "", errors.New("open tunnel: empty peer CN")
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("open tunnel to %s: no address to try", cn)
	}
	for _, a := range addrs {
		if err := a.check(); err != nil {
			return "", fmt.Errorf("open tunnel to %s: %w", cn, err)
		}
	}
	m.mu.Lock()
	stopped := m.stopped
	m.mu.Unlock()
	if stopped {
		return "", ErrStopped
	}
	iface, err := m.pool.Take()
	if err != nil {
		return "", fmt.Errorf("open tunnel to %s: %w", cn, err)
	}
	c := &client{cn: cn, addrs: append([]Address(nil), addrs...), iface: iface}
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		m.pool.Release(iface)
		return "", ErrStopped
	}
	m.clients[iface] = c
	m.snap[iface] = Tunnel{Iface: iface, CN: cn}
	m.wg.Add(1)
	m.mu.Unlock()
	go m.runClient(c)
	return iface, nil
}

// Close ends the client tunnel on iface and waits for its process to exit;
// its Exited (or Failed) event follows.
func (m *Manager) Close(iface string) error {
	m.mu.Lock()
	c := m.clients[iface]
	m.mu.Unlock()
	if c == nil {
		return fmt.Errorf("close tunnel %s: no such client tunnel", iface)
	}
	if p := c.close(); p != nil {
		p.Stop(stopGrace)
	}
	return nil
}

func (m *Manager) runClient(c *client) {
	defer m.wg.Done()
	ev := m.tryAddresses(c)
	// Free the tap before telling: the reader may open a new tunnel at once,
	// maybe on this tap; the event's time, taken first, tells it the end is
	// of an older tunnel.
	ev.Time = time.Now()
	m.mu.Lock()
	delete(m.snap, c.iface)
	delete(m.clients, c.iface)
	m.mu.Unlock()
	m.pool.Release(c.iface)
	m.emit(ev)
}

// tryAddresses runs openvpn on each address in turn until one connects,
// and returns the event that ends the tunnel: Exited once it was up,
// Failed if no address worked.
func (m *Manager) tryAddresses(c *client) Event {
	var reason string
	var last []string
	for _, addr := range c.addrs {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			reason = "closed"
			break
		}
		proc, err := openvpn.Start(m.ctx, m.spec(c.iface, m.cfg.clientArgs(c.iface, c.cn, addr), false))
		if err != nil {
			reason, last = err.Error(), nil
			continue
		}
		c.mu.Lock()
		c.proc = proc
		closed = c.closed
		c.mu.Unlock()
		if closed {
			proc.Stop(stopGrace)
		}
		up, why, ctr := m.followClient(c, proc, addr)
		last = proc.LastLines()
		if up {
			// re6st drops a tunnel that was up; the node decides anew.
			return Event{Kind: Exited, Tunnel: c.iface, CN: c.cn, Remote: addr.AddrPort, Reason: why, LastLog: last, Counters: ctr}
		}
		reason = fmt.Sprintf("%v: %s", addr, why)
	}
	return Event{Kind: Failed, Tunnel: c.iface, CN: c.cn, Reason: reason, LastLog: last}
}

// follow reads proc's notifications until it has exited: it gathers the
// facts of its log and notices, and hands every other message to handle.
func (m *Manager) follow(proc *openvpn.Process, facts *logFacts, handle func(openvpn.Message)) {
	for {
		msg, err := proc.Conn().Next(m.ctx)
		if err != nil {
			proc.Stop(stopGrace) // no-op unless Stop cut us short
			break
		}
		switch msg := msg.(type) {
		case openvpn.Log:
			facts.scan(msg.Flags, msg.Text)
		case openvpn.Notice:
			if msg.Source == "FATAL" {
				facts.reason = msg.Text
			}
		default:
			handle(msg)
		}
	}
	<-proc.Done()
}

// followClient consumes one client process's notifications until it exits;
// up reports whether it had connected, why is its exit reason, ctr its last
// counters.
func (m *Manager) followClient(c *client, proc *openvpn.Process, addr Address) (up bool, why string, ctr Counters) {
	var facts logFacts
	m.follow(proc, &facts, func(msg openvpn.Message) {
		switch msg := msg.(type) {
		case openvpn.State:
			if msg.Name == "CONNECTED" && !up {
				if err := m.cfg.Taps.Up(c.iface, facts.mtu); err != nil {
					facts.reason = err.Error()
					proc.Kill()
					return
				}
				up = true
				ctr = Counters{Since: time.Now()}
				remote := msg.Remote
				if !remote.IsValid() {
					remote = addr.AddrPort
				}
				m.update(c.iface, func(t *Tunnel) { t.Up, t.Remote, t.Counters = true, remote, ctr })
				m.emit(Event{Kind: Connected, Tunnel: c.iface, CN: c.cn, Remote: remote,
					ExternalIP: facts.externalIP, Cipher: facts.cipher, Counters: ctr})
			}
			if msg.Name == "EXITING" && msg.Desc != "" && facts.reason == "" {
				facts.reason = msg.Desc
			}
		case openvpn.ByteCount:
			if up {
				ctr.In, ctr.Out = msg.In, msg.Out
				m.update(c.iface, func(t *Tunnel) { t.Counters = ctr })
				m.emit(Event{Kind: Stats, Tunnel: c.iface, CN: c.cn, Remote: addr.AddrPort, Counters: ctr})
			}
		}
	})
	c.mu.Lock()
	closed := c.closed
	c.proc = nil
	c.mu.Unlock()
	if closed {
		return up, "closed", ctr
	}
	return up, exitReason(proc, facts.reason), ctr
}

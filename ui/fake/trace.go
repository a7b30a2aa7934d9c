package fake

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"re6st-tui/node/state"
)

// traceInterval is the time between two probe rounds of a fake trace.
const traceInterval = 300 * time.Millisecond

// StartTrace implements ui.Engine: a path through the underlay gateway
// and two re6st nodes to dst, each round probing every hop once.
func (e *Engine) StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error) {
	to, err := parseDst(dst)
	if err != nil {
		return nil, err
	}
	path := []netip.Addr{nodeAddr(peerPrefix(1)), nodeAddr(peerPrefix(30)), to}
	ch := make(chan state.Hop, len(path))
	go runTrace(ctx, ch, path, rand.New(rand.NewPCG(uint64(len(dst)), 7)))
	return ch, nil
}

func parseDst(dst string) (netip.Addr, error) {
	dst = strings.TrimSpace(dst)
	if p, err := netip.ParsePrefix(dst); err == nil {
		return nodeAddr(p.Masked()), nil
	}
	a, err := netip.ParseAddr(dst)
	if err != nil || !a.Is6() {
		return netip.Addr{}, fmt.Errorf("trace %q: not an IPv6 address or prefix; type one such as %s", dst, nodeAddr(peerPrefix(1)))
	}
	return a, nil
}

func runTrace(ctx context.Context, ch chan<- state.Hop, path []netip.Addr, rnd *rand.Rand) {
	defer close(ch)
	hops := make([]state.Hop, len(path))
	var sum = make([]time.Duration, len(path))
	tk := time.NewTicker(traceInterval)
	defer tk.Stop()
	for {
		for i := range hops {
			probe(&hops[i], &sum[i], i, path[i], rnd)
			select {
			case ch <- cloneHop(hops[i]):
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-tk.C:
		case <-ctx.Done():
			return
		}
	}
}

func probe(h *state.Hop, sum *time.Duration, i int, addr netip.Addr, rnd *rand.Rand) {
	h.N, h.Addrs = i+1, []netip.Addr{addr}
	lost := int(h.Loss*float64(h.Sent) + 0.5)
	h.Sent++
	if i == 1 && rnd.IntN(10) == 0 { // the middle hop drops a probe now and then
		lost++
		h.Loss = float64(lost) / float64(h.Sent)
		return
	}
	h.Received = h.Sent - lost
	h.Final = addr == h.Addrs[0] && i == 2
	rtt := time.Duration(4+i*9+rnd.IntN(6))*time.Millisecond + time.Duration(rnd.IntN(1000))*time.Microsecond
	*sum += rtt
	got := h.Sent - lost
	h.Last, h.Avg = rtt, *sum/time.Duration(got)
	if h.Best == 0 || rtt < h.Best {
		h.Best = rtt
	}
	h.Worst = max(h.Worst, rtt)
	h.Loss = float64(lost) / float64(h.Sent)
}

func cloneHop(h state.Hop) state.Hop {
	h.Addrs = append([]netip.Addr(nil), h.Addrs...)
	return h
}

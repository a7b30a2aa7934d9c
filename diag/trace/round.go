package trace

import (
	"context"
	"fmt"
	"time"
)

// roundState is what one round keeps about its probes.
type roundState struct {
	n        int
	next     int // next probe to send, counted from 0 over (ttl, idx)
	inflight map[uint16]*slot
	fifo     []*slot   // in send order, for timeouts
	probes   [][]Probe // per hop, per probe index
	left     []int     // probes still unanswered per hop
	nextEmit int       // first hop limit not yet emitted this round
}

// round sends every hop's probes, at most InFlight at a time, and emits hops
// in order as they complete.
func (r *run) round(ctx context.Context, n int) error {
	st := &roundState{n: n, inflight: map[uint16]*slot{}, nextEmit: r.cfg.FirstHop}
	st.probes = make([][]Probe, len(r.hops))
	st.left = make([]int, len(r.hops))
	for i := range r.hops {
		st.probes[i] = make([]Probe, r.cfg.Probes)
		st.left[i] = r.cfg.Probes
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := r.fill(st); err != nil {
			return err
		}
		limit := r.limit
		if err := r.emitReady(ctx, st); err != nil {
			return err
		}
		if r.limit > limit {
			continue // the path grew: send the new probes first
		}
		if st.nextEmit > r.limit {
			return nil
		}
		resetTimer(timer, st, r.cfg.Timeout)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-r.packets:
			if !ok {
				return errClosed
			}
			r.answer(st, p)
		case now := <-timer.C:
			r.expire(st, now)
		case nr := <-r.names:
			if err := r.named(ctx, nr); err != nil {
				return err
			}
		}
	}
}

// fill sends probes until InFlight are outstanding or none is left below
// the limit.
func (r *run) fill(st *roundState) error {
	for len(st.inflight) < r.cfg.InFlight {
		ttl, idx := r.cfg.FirstHop+st.next/r.cfg.Probes, st.next%r.cfg.Probes
		if ttl > r.limit {
			return nil
		}
		st.next++
		r.seq = (r.seq + 1) % portSpan
		s := &slot{ttl: ttl, idx: idx, sent: time.Now()}
		if err := r.c.send(ttl, r.seq); err != nil {
			if !r.sentOK {
				return fmt.Errorf("trace: send to %v: %w: check there is a route to it (ip -6 route get %v)", r.cfg.Dst, err, r.cfg.Dst)
			}
			// Once the path worked, a failed send (a route flapping, say)
			// counts as lost: the hop still completes and the trace goes on.
			s.done = true
			r.settle(st, s, Probe{})
			continue
		}
		r.sentOK = true
		st.inflight[r.seq] = s
		st.fifo = append(st.fifo, s)
	}
	return nil
}

func (r *run) answer(st *roundState, p packet) {
	a, ok := r.m.match(p.b, p.from)
	if !ok {
		return
	}
	s := st.inflight[a.seq]
	if s == nil {
		return
	}
	delete(st.inflight, a.seq)
	s.done = true
	rtt := p.at.Sub(s.sent)
	if rtt < 0 {
		rtt = 0
	}
	if a.kind != TimeExceeded && s.ttl < r.limit {
		r.limit = s.ttl
	}
	r.settle(st, s, Probe{Kind: a.kind, From: p.from, RTT: rtt, Code: a.code})
}

func (r *run) expire(st *roundState, now time.Time) {
	for len(st.fifo) > 0 {
		s := st.fifo[0]
		if !s.done && now.Sub(s.sent) < r.cfg.Timeout {
			return
		}
		st.fifo = st.fifo[1:]
		if s.done {
			continue
		}
		s.done = true
		for k, v := range st.inflight {
			if v == s {
				delete(st.inflight, k)
				break
			}
		}
		r.settle(st, s, Probe{})
	}
}

func (r *run) settle(st *roundState, s *slot, p Probe) {
	i := s.ttl - r.cfg.FirstHop
	st.probes[i][s.idx] = p
	st.left[i]--
}

// emitReady folds completed hops into their stats and emits them in order.
func (r *run) emitReady(ctx context.Context, st *roundState) error {
	for st.nextEmit <= r.limit {
		i := st.nextEmit - r.cfg.FirstHop
		if st.left[i] > 0 {
			return nil
		}
		h := &r.hops[i]
		h.Probes = h.Probes[:0]
		h.Round = st.n
		h.Final = false
		for _, p := range st.probes[i] {
			h.add(p)
			if p.Kind == Reached || p.Kind == Unreachable {
				h.Final = true
			}
		}
		if h.TTL == r.limit && !h.Final && r.limit < r.cfg.MaxHops {
			// The path used to end here and no longer does: look further.
			r.limit = r.cfg.MaxHops
		}
		r.resolve(ctx, h)
		if err := r.emit(ctx, h); err != nil {
			return err
		}
		st.nextEmit++
	}
	return nil
}

func resetTimer(t *time.Timer, st *roundState, timeout time.Duration) {
	for len(st.fifo) > 0 && st.fifo[0].done {
		st.fifo = st.fifo[1:]
	}
	d := time.Hour
	if len(st.fifo) > 0 {
		d = max(time.Until(st.fifo[0].sent.Add(timeout)), 0)
	}
	t.Reset(d)
}

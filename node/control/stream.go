package control

import (
	"context"
	"errors"
	"sync"
	"time"

	"re6st-tui/node/state"
)

// stream is the receiving end of a subscription or trace: a buffered
// channel the reading goroutine fills without ever blocking.
type stream[T any] struct {
	mu     sync.Mutex
	out    chan T
	closed bool        // guarded by mu
	stop   func() bool // guarded by mu; unregisters the caller's ctx hook
}

func (s *stream[T]) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *stream[T]) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.out)
	if s.stop != nil {
		s.stop()
	}
}

// endWith ends the stream (and the request id) when ctx ends.
func (s *stream[T]) endWith(ctx context.Context, c *Client, id uint64) {
	stop := context.AfterFunc(ctx, func() {
		c.cancel(id)
		s.close()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		stop()
		return
	}
	s.stop = stop
}

// offer sends v if there is room and reports whether there was.
func (s *stream[T]) offer(v T) (sent, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, true
	}
	select {
	case s.out <- v:
		return true, false
	default:
		return false, false
	}
}

// lag ends the stream with last, making room for it.
func (s *stream[T]) lag(last T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case <-s.out:
	default:
	}
	s.out <- last
	s.closeLocked()
}

// Subscribe implements Engine: the node's events, with the engine's lag
// rule applied twice — by the node for the socket, and here for the
// caller, who gets KindLagged and a closed channel when it falls behind.
func (c *Client) Subscribe(ctx context.Context) <-chan state.Event {
	s := &stream[state.Event]{out: make(chan state.Event, SubscribeBuffer)}
	cl := &call{first: make(chan Reply, 1), end: s.close}
	cl.item = func(r Reply) {
		if r.Event == nil {
			return
		}
		if sent, closed := s.offer(*r.Event); !sent && !closed {
			s.lag(state.Event{Kind: state.KindLagged, Time: time.Now()})
			c.cancel(cl.id)
		}
	}
	id, err := c.register(cl)
	if err != nil {
		s.close()
		return s.out
	}
	if c.open(ctx, id, Request{Op: OpSubscribe}, cl) != nil {
		s.close()
		return s.out
	}
	s.endWith(ctx, c, id)
	return s.out
}

// StartTrace implements Engine. A caller slower than the trace misses
// some updates of a hop; each update holds the hop's totals, so the next
// one it reads is complete.
func (c *Client) StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error) {
	s := &stream[state.Hop]{out: make(chan state.Hop, traceBuffer)}
	cl := &call{first: make(chan Reply, 1), end: s.close}
	cl.item = func(r Reply) {
		if r.Hop != nil {
			s.offer(*r.Hop)
		}
	}
	id, err := c.register(cl)
	if err != nil {
		return nil, err
	}
	if err := c.open(ctx, id, Request{Op: OpTrace, Arg: dst}, cl); err != nil {
		return nil, err
	}
	s.endWith(ctx, c, id)
	return s.out, nil
}

// open sends the request that starts a stream and waits for its
// acknowledgement.
func (c *Client) open(ctx context.Context, id uint64, req Request, cl *call) error {
	if err := c.send(id, req); err != nil {
		return err
	}
	select {
	case r := <-cl.first:
		if r.Error != "" {
			return errors.New(r.Error)
		}
		return nil
	case <-ctx.Done():
		c.cancel(id)
		return ctx.Err()
	}
}

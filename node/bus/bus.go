// Package bus fans the node's events out to subscribers without ever
// blocking the engine: a subscriber that falls behind gets one last
// "lagged" event and a closed channel, and should take a new snapshot.
package bus

import (
	"context"
	"sync"
	"time"

	"re6st-tui/node/state"
)

// DefaultBuffer is how many events a subscriber may fall behind by.
const DefaultBuffer = 4096

// Bus delivers events to subscribers.
type Bus struct {
	buffer int

	mu sync.Mutex
	// subs and closed are guarded by mu.
	subs   map[*sub]struct{}
	closed bool
}

type sub struct {
	ch chan state.Event
}

// New returns a bus whose subscribers may lag by buffer events.
func New(buffer int) *Bus {
	if buffer < 1 {
		buffer = DefaultBuffer
	}
	return &Bus{buffer: buffer, subs: map[*sub]struct{}{}}
}

// Subscribe returns a channel of every event published from now on. It
// closes when ctx ends, when the bus closes, or after a KindLagged event.
func (b *Bus) Subscribe(ctx context.Context) <-chan state.Event {
	// One slot more than the buffer keeps room for the lagged event.
	s := &sub{ch: make(chan state.Event, b.buffer+1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch
	}
	b.subs[s] = struct{}{}
	go func() {
		<-ctx.Done()
		b.drop(s)
	}()
	return s.ch
}

func (b *Bus) drop(s *sub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

// Publish sends ev to every subscriber.
func (b *Bus) Publish(ev state.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if len(s.ch) < b.buffer {
			s.ch <- ev
			continue
		}
		s.ch <- state.Event{Kind: state.KindLagged, Time: time.Now()}
		delete(b.subs, s)
		close(s.ch)
	}
}

// Close ends every subscription.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		close(s.ch)
	}
	clear(b.subs)
}

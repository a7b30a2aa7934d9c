package babel

import (
	"context"
	"net/netip"
	"sync"
)

// eventKey is what an event describes: the latest event for a key
// replaces an older one a subscriber has not read yet.
type eventKey struct {
	kind     uint8 // 1 neighbour, 2 route, 3 interface
	name     string
	addr     netip.Addr
	dst, src netip.Prefix
}

func keyOf(ev Event) eventKey {
	switch {
	case ev.Neighbour != nil:
		return eventKey{kind: 1, name: ev.Neighbour.Iface, addr: ev.Neighbour.Addr}
	case ev.Route != nil:
		return eventKey{kind: 2, dst: ev.Route.Prefix, src: ev.Route.Src}
	case ev.Interface != nil:
		return eventKey{kind: 3, name: ev.Interface.Name}
	}
	return eventKey{}
}

// merge folds a newer event into one not yet read. A neighbour added and
// then changed is still news of its arrival; added and then flushed is
// its departure.
func merge(old, ev Event) Event {
	if old.Kind == NeighbourAdded && ev.Kind == NeighbourChanged {
		ev.Kind = NeighbourAdded
	}
	return ev
}

// subscriber holds the events one subscriber has not read yet, at most one
// per key and each the latest, so a slow reader never makes the speaker
// wait or lose state.
type subscriber struct {
	out  chan Event
	wake chan struct{}

	mu      sync.Mutex // guards the fields below
	pending map[eventKey]Event
	order   []eventKey // keys of pending, oldest first, from head on
	head    int
}

// add queues evs, replacing older unread events with the same key.
func (sub *subscriber) add(evs []Event) {
	sub.mu.Lock()
	for _, ev := range evs {
		k := keyOf(ev)
		if old, ok := sub.pending[k]; ok {
			sub.pending[k] = merge(old, ev)
			continue
		}
		sub.pending[k] = ev
		sub.order = append(sub.order, k)
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest unread event.
func (sub *subscriber) next() (Event, bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.head == len(sub.order) {
		sub.order, sub.head = sub.order[:0], 0
		return Event{}, false
	}
	k := sub.order[sub.head]
	sub.order[sub.head] = eventKey{}
	sub.head++
	ev := sub.pending[k]
	delete(sub.pending, k)
	return ev, true
}

// pump hands queued events to the subscriber's channel until stop closes,
// then closes the channel. Events stay in pending until the channel takes
// them, so they keep being replaced by newer ones meanwhile.
func (sub *subscriber) pump(stop <-chan struct{}) {
	defer close(sub.out)
	for {
		select {
		case <-stop:
			return
		case <-sub.wake:
		}
		for ev, ok := sub.next(); ok; ev, ok = sub.next() {
			select {
			case sub.out <- ev:
			case <-stop:
				return
			}
		}
	}
}

// Subscribe returns a channel of changes. It never blocks the speaker: a
// subscriber that reads slowly gets, for each route, neighbour and
// interface, the latest change it has not read yet (see [Event]). Take a
// [Speaker.Snapshot] after subscribing for the state before. The channel
// closes when ctx ends or the speaker stops.
func (s *Speaker) Subscribe(ctx context.Context) <-chan Event {
	sub := &subscriber{out: make(chan Event, 64), wake: make(chan struct{}, 1), pending: map[eventKey]Event{}}
	stop := make(chan struct{})
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		close(sub.out)
		return sub.out
	default:
	}
	s.subs[sub] = struct{}{}
	s.nsubs.Add(1)
	s.mu.Unlock()
	go sub.pump(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.mu.Lock()
		delete(s.subs, sub)
		s.nsubs.Add(-1)
		s.mu.Unlock()
		close(stop)
	}()
	return sub.out
}

func (s *Speaker) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		sub.add(evs)
	}
}

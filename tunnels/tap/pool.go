package tap

import (
	"errors"
	"fmt"
	"sync"
)

// ErrExhausted is returned by [Pool.Take] when every client device is in use.
var ErrExhausted = errors.New("all client tap devices are in use")

// ClientName is the name of client device i (1-based): re6stnet1, ...
func ClientName(i int) string { return fmt.Sprintf("%s%d", Prefix, i) }

// Pool hands out client device names re6stnet1..N. Devices are created on
// first use and kept when released, because deleting a tap makes babeld
// leak multicast memberships; the lowest free name is reused first.
type Pool struct {
	links Devices
	size  int

	mu      sync.Mutex // guards the fields below
	inUse   map[int]bool
	created map[int]bool
}

// NewPool manages n client devices.
func NewPool(links Devices, n int) *Pool {
	return &Pool{links: links, size: n, inUse: map[int]bool{}, created: map[int]bool{}}
}

// Take reserves the lowest free device, creating it if needed.
func (p *Pool) Take() (string, error) {
	p.mu.Lock()
	i := 1
	for ; i <= p.size && p.inUse[i]; i++ {
	}
	if i > p.size {
		p.mu.Unlock()
		return "", fmt.Errorf("%w (%d): close a tunnel first", ErrExhausted, p.size)
	}
	p.inUse[i] = true
	need := !p.created[i]
	p.mu.Unlock()
	name := ClientName(i)
	if need {
		if err := p.links.Create(name); err != nil {
			p.mu.Lock()
			delete(p.inUse, i)
			p.mu.Unlock()
			return "", err
		}
		p.mu.Lock()
		p.created[i] = true
		p.mu.Unlock()
	}
	return name, nil
}

// Release returns a device to the free list. It stays created.
func (p *Pool) Release(name string) {
	var i int
	if _, err := fmt.Sscanf(name, Prefix+"%d", &i); err != nil {
		return
	}
	p.mu.Lock()
	delete(p.inUse, i)
	p.mu.Unlock()
}

// Close removes every device the pool created.
func (p *Pool) Close() error {
	p.mu.Lock()
	var idx []int
	for i := range p.created {
		idx = append(idx, i)
	}
	p.created = map[int]bool{}
	p.inUse = map[int]bool{}
	p.mu.Unlock()
	var errs []error
	for _, i := range idx {
		errs = append(errs, p.links.Remove(ClientName(i)))
	}
	return errors.Join(errs...)
}

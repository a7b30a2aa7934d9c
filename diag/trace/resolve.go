package trace

import (
	"context"
	"strings"
	"time"
)

const lookupTimeout = 2 * time.Second

// resolve starts reverse lookups for h's responders not asked about yet.
func (r *run) resolve(ctx context.Context, h *Hop) {
	if r.cfg.Resolver == nil {
		return
	}
	for _, rs := range h.Responders {
		if r.asked[rs.Addr] {
			continue
		}
		r.asked[rs.Addr] = true
		r.lookups++
		go func() {
			lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
			defer cancel()
			var name string
			if names, err := r.cfg.Resolver.LookupAddr(lctx, rs.Addr.String()); err == nil && len(names) > 0 {
				name = strings.TrimSuffix(names[0], ".")
			}
			select {
			case r.names <- nameResult{addr: rs.Addr, name: name}:
			case <-ctx.Done():
			}
		}()
	}
}

// named records a lookup result and re-emits the hops it names.
func (r *run) named(ctx context.Context, nr nameResult) error {
	r.lookups--
	if nr.name == "" {
		return nil
	}
	for i := range r.hops {
		h := &r.hops[i]
		for j := range h.Responders {
			if h.Responders[j].Addr == nr.addr {
				h.Responders[j].Name = nr.name
				if h.Round > 0 {
					if err := r.emit(ctx, h); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

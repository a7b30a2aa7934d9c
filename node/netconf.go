package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"re6st-tui/node/cache"
	"re6st-tui/node/identity"
	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
)

// ConfigSource fetches the raw network configuration (getNetworkConfig).
type ConfigSource interface {
	GetNetworkConfigRaw(ctx context.Context) ([]byte, error)
}

// fetchNetworkConfig gets the configuration from the registry, stores it
// in the cache and returns it with the names of the settings that changed.
func fetchNetworkConfig(ctx context.Context, reg ConfigSource, c *cache.Cache, id *identity.Identity) (*netconf.Config, []string, int64, error) {
	f := getNetworkConfig(ctx, reg, id)
	if f.err != nil {
		return nil, nil, 0, f.err
	}
	changed, err := f.store(ctx, c)
	if err != nil {
		return nil, nil, 0, err
	}
	return f.cfg, changed, f.delay, nil
}

// fetched is a network config got from the registry, not stored yet.
type fetched struct {
	rows  map[string]any
	cfg   *netconf.Config
	delay int64 // delay_restart, seconds
	err   error
}

// getNetworkConfig asks the registry for the configuration and checks it.
func getNetworkConfig(ctx context.Context, reg ConfigSource, id *identity.Identity) fetched {
	body, err := reg.GetNetworkConfigRaw(ctx)
	if err != nil {
		return fetched{err: fmt.Errorf("fetch network config: %w", err)}
	}
	rows, delay, err := netconf.Decode(body, func(b []byte) ([]byte, error) { return identity.Decrypt(id.Key, b) })
	if err != nil {
		return fetched{err: err}
	}
	cfg, err := netconf.FromRows(rows)
	if err != nil {
		return fetched{err: err}
	}
	if err := verifyVersion(id.CA, cfg.Version); err != nil {
		return fetched{err: fmt.Errorf("network config from the registry: %w", err)}
	}
	return fetched{rows: rows, cfg: cfg, delay: delay}
}

// store puts the configuration in the cache and returns the names of the
// settings that changed.
func (f fetched) store(ctx context.Context, c *cache.Cache) ([]string, error) {
	changed, err := c.ReplaceConfig(ctx, f.rows)
	if err != nil {
		return nil, fmt.Errorf("store network config: %w", err)
	}
	return changed, nil
}

// verifyVersion checks a network version blob: an integer signed by the CA.
func verifyVersion(ca *identity.CA, v []byte) error {
	if len(v) == 0 {
		return errors.New("no network version")
	}
	n := 1 + int(v[0]>>5)
	if len(v) <= n || ca.VerifySig(v[:n], v[n:]) != nil {
		return errors.New("network version not signed by the CA")
	}
	return nil
}

// loadNetworkConfig returns the network configuration at start. A cached
// one whose version the CA signed lets the node start while the registry
// is down; it is refreshed once anyway when it predates our protocol or
// when we are the registry's own node. Without a valid cached one, the
// registry is asked until it answers, waiting 1 s, 2 s, … up to 60 s.
// cached reports that the configuration was not fetched now.
func loadNetworkConfig(ctx context.Context, reg ConfigSource, c *cache.Cache, id *identity.Identity, log *slog.Logger) (cfg *netconf.Config, cached bool, err error) {
	rows, err := c.Config(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read cached network config: %w", err)
	}
	old, err := netconf.FromRows(rows)
	if err == nil && verifyVersion(id.CA, old.Version) == nil {
		if old.Protocol < peer.ProtocolVersion || old.RegistryPrefix == id.Prefix {
			if fresh, _, _, err := fetchNetworkConfig(ctx, reg, c, id); err == nil {
				return fresh, false, nil
			} else {
				log.Warn("cannot refresh the network config; using the cached one", "err", err)
			}
		}
		return old, true, nil
	}
	delay := time.Second
	for {
		cfg, _, _, err := fetchNetworkConfig(ctx, reg, c, id)
		if err == nil {
			return cfg, false, nil
		}
		log.Warn("no network config yet", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("waiting for the network config: %w (is the registry reachable?)", err)
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

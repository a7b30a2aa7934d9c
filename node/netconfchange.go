package node

import (
	"context"
	"slices"
	"time"

	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
)

// checkStale fetches the network config when two hourly checks in a row
// found the registry unreachable, in case we missed a change.
func (n *Node) checkStale(ctx context.Context) {
	if n.net.RegistryPrefix == n.id.Prefix {
		return
	}
	stale := n.mgr.Disconnected()
	if stale && n.staleOnce {
		n.fetchConfig(ctx, nil)
	}
	n.staleOnce = stale
}

// fetchConfig asks the registry for the network config, without waiting:
// the answer is applied by the loop (fetchDone), and done, if not nil,
// then gets the outcome. A registry that does not answer must not stop
// the node for the length of an HTTP timeout.
func (n *Node) fetchConfig(ctx context.Context, done chan<- error) {
	if done != nil {
		n.fetchWaiters = append(n.fetchWaiters, done)
	}
	if n.fetching {
		return
	}
	n.fetching = true
	reg, id, out := n.reg, n.id, n.fetches
	go func() {
		f := getNetworkConfig(ctx, reg, id)
		select {
		case out <- f:
		case <-ctx.Done():
		}
	}()
}

// fetchDone applies a fetched network config: what changed takes effect,
// live or by a restart.
func (n *Node) fetchDone(ctx context.Context, f fetched) {
	n.fetching = false
	var changed []string
	err := f.err
	if err == nil {
		changed, err = f.store(ctx, n.cache)
	}
	for _, w := range n.fetchWaiters {
		w <- err
	}
	n.fetchWaiters = nil
	if err != nil {
		if unknownToRegistry(err) {
			n.fatal = errNotEnrolled(err)
			return
		}
		n.log.Warn("cannot fetch the network config; retrying in 5 minutes", "err", err)
		n.refetch = time.Now().Add(5 * time.Minute)
		n.setRegistry(false, err)
		return
	}
	n.setRegistry(true, nil)
	if len(changed) == 0 {
		return
	}
	cfg := f.cfg
	n.log.Info("network config changed", "keys", changed)
	n.net = cfg
	n.proto.SetVersion(cfg.Version)
	n.broadcastVersion()
	if slices.Contains(changed, "crl") {
		n.revocationsChanged()
	}
	if why := n.restartReason(changed); why != "" {
		// Leave a second for the new version to reach the neighbours.
		n.restartAt = time.Now().Add(time.Second + time.Duration(f.delay)*time.Second)
		n.log.Info("restarting for the new network config", "reason", why, "in", time.Until(n.restartAt).Round(time.Second))
	}
}

// restartReason says why the new config needs the node to start over, or
// "" when it applies live.
func (n *Node) restartReason(changed []string) string {
	if n.ownRevoked() {
		return "our certificate is revoked: renewing it"
	}
	if peer.ProtocolVersion < n.net.MinProtocol {
		return "the network requires a newer protocol"
	}
	if netconf.MustRestart(changed, n.clientCount() > 0) {
		return "changed settings need it"
	}
	return ""
}

// broadcastVersion sends our network version to the direct neighbours
// that are not known to hold it yet.
func (n *Node) broadcastVersion() {
	if n.mgr == nil {
		return
	}
	n.send(n.proto.BroadcastVersion(n.mgr.DirectNeighbours()))
}

package node

import (
	"context"
	"slices"
	"time"

	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
)

// cutOffRefetch is how often a node without a route to the registry
// fetches the network config: it may be cut off because it missed a
// change, its own revocation first, that no peer would tell it any more
// (re6st waits for two hourly checks).
const cutOffRefetch = 5 * time.Minute

// refetchDue reports whether a node cut off from the registry should fetch
// the network config again now.
func refetchDue(cutOff bool, lastFetch, now time.Time) bool {
	return cutOff && now.Sub(lastFetch) >= cutOffRefetch
}

// liveKeys are the network settings a running node applies at once,
// beyond those re6st itself applies live (crl, version, protocol,
// registry_prefix, min_protocol, valid_until): re6st restarts for them.
var liveKeys = []string{"tunnel_refresh", "babel_hmac_sign", "babel_hmac_accept"}

// checkStale runs every round. A node without a route to the registry
// fetches the network config every cutOffRefetch. Hourly, a config past
// its valid_until found twice in a row is fetched again too (re6st means
// to do so; its nodes never read valid_until).
func (n *Node) checkStale(now time.Time) {
	if n.net.RegistryPrefix == n.id.Prefix {
		return
	}
	if refetchDue(n.mgr.Disconnected(), n.lastFetch, now) {
		n.fetchConfig(nil)
	}
	if now.Before(n.nextCheck) {
		return
	}
	n.nextCheck = now.Add(netconfCheck)
	stale := n.net.ValidUntil > 0 && now.After(time.Unix(int64(n.net.ValidUntil), 0))
	if stale && n.staleOnce {
		n.fetchConfig(nil)
	}
	n.staleOnce = stale
}

// fetchConfig asks the registry for the network config, without waiting:
// the answer is applied by the loop (fetchDone), and done, if not nil,
// then gets the outcome. A registry that does not answer must not stop
// the node for the length of an HTTP timeout. The request lives as long
// as the loop, whoever asked.
func (n *Node) fetchConfig(done chan<- error) {
	if done != nil {
		n.fetchWaiters = append(n.fetchWaiters, done)
	}
	if n.fetching {
		return
	}
	n.fetching, n.lastFetch = true, time.Now()
	ctx, reg, id, out := n.loopCtx, n.reg, n.id, n.fetches
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
	old := n.net
	n.net = cfg
	n.proto.SetVersion(cfg.Version)
	n.broadcastVersion()
	if slices.Contains(changed, "crl") {
		n.revocationsChanged()
	}
	if slices.Contains(changed, "tunnel_refresh") {
		n.mgr.SetTunnelRefresh(time.Duration(cfg.TunnelRefresh) * time.Second)
		n.log.Info("tunnel_refresh applied", "from", time.Duration(old.TunnelRefresh)*time.Second, "to", time.Duration(cfg.TunnelRefresh)*time.Second)
	}
	if slices.Contains(changed, "babel_hmac_sign") || slices.Contains(changed, "babel_hmac_accept") {
		n.applyBabelKeys()
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
	var keys []string
	for _, k := range changed {
		if !slices.Contains(liveKeys, k) && !n.overridden(k) {
			keys = append(keys, k)
		}
	}
	if netconf.MustRestart(keys, n.clientCount() > 0) {
		return "changed settings need it"
	}
	return ""
}

// overridden reports whether a network setting is fixed on our command
// line, so that its change does not concern us.
func (n *Node) overridden(key string) bool {
	switch key {
	case "client_count":
		return n.cfg.ClientCount != nil
	case "max_clients":
		return n.cfg.MaxClients != nil
	}
	return false
}

// broadcastVersion sends our network version to the direct neighbours
// that are not known to hold it yet; it runs after each fetch and at
// every round, for neighbours that were out of reach the first time.
func (n *Node) broadcastVersion() {
	if n.mgr == nil {
		return
	}
	n.send(n.proto.BroadcastVersion(n.mgr.DirectNeighbours()))
}

// applyBabelKeys gives the speaker the network's new MAC keys. re6st
// restarts babeld for them, which drops every route for a while; the
// registry's rotation (sign old and accept new, then sign new and accept
// old, then sign new) keeps every link up when applied live.
func (n *Node) applyBabelKeys() {
	a, err := babelAuth(n.net.BabelHMACSign, n.net.BabelHMACAccept, n.net.HasBabelHMACAccept)
	if err == nil {
		err = n.speaker.SetAuth(a)
	}
	if err != nil {
		n.log.Error("cannot apply the network's new Babel keys: restarting", "err", err)
		n.restartAt = time.Now().Add(time.Second)
		return
	}
	n.log.Info("Babel keys changed", "signing", a.Sign != nil, "accepting", len(a.Accept), "accept unsigned", a.AcceptBad)
}

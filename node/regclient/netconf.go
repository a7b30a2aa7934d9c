package regclient

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"re6st-tui/node/identity"
	"re6st-tui/node/netconf"
)

// NetConfig is a decoded getNetworkConfig answer, its version checked.
type NetConfig struct {
	netconf.Config
	VersionNumber uint64 // from the version blob, its signature checked
	DelayRestart  int64  // seconds, when the registry asks for a delayed restart
}

// ParseNetworkConfig decodes a getNetworkConfig body as the node does
// (netconf.Decode), verifies the version signature with the CA and
// decrypts the Babel keys with the node key.
func ParseNetworkConfig(body []byte, ca *identity.CA, key *rsa.PrivateKey) (*NetConfig, error) {
	if ca == nil || key == nil {
		return nil, errors.New("network config: the CA and the node key are needed to check and decrypt it")
	}
	rows, delay, err := netconf.Decode(body, func(b []byte) ([]byte, error) { return identity.Decrypt(key, b) })
	if err != nil {
		return nil, err
	}
	cfg, err := netconf.FromRows(rows)
	if err != nil {
		return nil, err
	}
	n, err := ca.VerifyVersion(cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("network config: %w", err)
	}
	return &NetConfig{Config: *cfg, VersionNumber: n, DelayRestart: delay}, nil
}

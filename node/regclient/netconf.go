package regclient

import (
	"bytes"
	"compress/zlib"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"re6st-tui/node/identity"
)

// NetConfig is the decoded getNetworkConfig answer.
type NetConfig struct {
	BabelDefault   string   `json:"babel_default"`
	CRL            []int64  `json:"crl"`
	Protocol       int      `json:"protocol"`
	RegistryPrefix string   `json:"registry_prefix"`
	IPv4           string   `json:"ipv4,omitempty"`
	IPv4Sublen     int      `json:"ipv4_sublen,omitempty"`
	SameCountry    []string `json:"same_country,omitempty"`
	ClientCount    int      `json:"client_count"`
	Encrypt        bool     `json:"encrypt"`
	Hello          int      `json:"hello"`
	MaxClients     int      `json:"max_clients"`
	MinProtocol    int      `json:"min_protocol"`
	TunnelRefresh  int      `json:"tunnel_refresh"`
	ValidUntil     float64  `json:"valid_until,omitempty"`
	DelayRestart   int      `json:"delay_restart,omitempty"`

	Version       []byte `json:"-"` // raw version blob, signature checked
	VersionNumber uint64 `json:"-"`
	// Babel HMAC keys, decrypted; Has* false when absent. An empty
	// accept key (present) means "accept unsigned packets".
	HMACSign, HMACAccept       []byte `json:"-"`
	HasHMACSign, HasHMACAccept bool   `json:"-"`
}

// ParseNetworkConfig inflates and decodes a getNetworkConfig body,
// verifies the version signature with the CA and decrypts the babel keys
// with the node key.
func ParseNetworkConfig(body []byte, ca *identity.CA, key *rsa.PrivateKey) (*NetConfig, error) {
	if ca == nil || key == nil {
		return nil, errors.New("network config: the CA and the node key are needed to check and decrypt it")
	}
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("network config: not zlib data: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("network config: %w", err)
	}
	var nc NetConfig
	if err := json.Unmarshal(js, &nc); err != nil {
		return nil, fmt.Errorf("network config: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("network config: %w", err)
	}
	str := func(k string) (string, bool, error) {
		v, ok := raw[k]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Errorf("network config %s: %w", k, err)
		}
		return s, true, nil
	}
	v, ok, err := str("version")
	if err != nil || !ok {
		return nil, fmt.Errorf("network config has no version: %v", err)
	}
	if nc.Version, err = base64.StdEncoding.DecodeString(v); err != nil {
		return nil, fmt.Errorf("network config version: %w", err)
	}
	if nc.VersionNumber, err = ca.VerifyVersion(nc.Version); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		name string
		dst  *[]byte
		has  *bool
	}{{"babel_hmac_sign", &nc.HMACSign, &nc.HasHMACSign}, {"babel_hmac_accept", &nc.HMACAccept, &nc.HasHMACAccept}} {
		s, ok, err := str(k.name)
		if err != nil {
			return nil, err
		}
		*k.has = ok
		if !ok || s == "" {
			continue
		}
		c, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("network config %s: %w", k.name, err)
		}
		if *k.dst, err = identity.Decrypt(key, c); err != nil {
			return nil, fmt.Errorf("network config %s: %w", k.name, err)
		}
	}
	return &nc, nil
}

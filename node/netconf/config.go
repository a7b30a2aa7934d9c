package netconf

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Config is the network configuration in typed form.
type Config struct {
	BabelDefault   string
	CRL            []uint64
	Protocol       int64
	RegistryPrefix string
	IPv4           string // "A.B.C.D/n", or "" without IPv4 payload
	IPv4SubLen     int64
	SameCountry    []string
	ClientCount    int64
	MaxClients     int64
	Encrypt        bool
	Hello          int64 // Babel hello interval, seconds
	MinProtocol    int64
	TunnelRefresh  int64
	Version        []byte
	ValidUntil     float64 // 0 when absent
	// BabelHMACSign is the key to sign Babel packets with (nil: none).
	BabelHMACSign []byte
	// BabelHMACAccept is a second key to accept; present but empty means
	// accept unsigned and badly signed packets.
	BabelHMACAccept    []byte
	HasBabelHMACAccept bool
}

// NeedRestart lists the settings whose change restarts a node; a node
// with a tunnel manager also restarts for NeedRestartTunnels.
var (
	NeedRestart        = []string{"babel_default", "babel_hmac_accept", "babel_hmac_sign", "encrypt", "hello", "ipv4", "ipv4_sublen"}
	NeedRestartTunnels = []string{"client_count", "max_clients", "same_country", "tunnel_refresh"}
)

// FromRows reads cache rows. Settings a registry always sends must be
// there; the others default to zero.
func FromRows(rows map[string]any) (*Config, error) {
	c := &Config{}
	var errs []string
	str := func(k string) string {
		switch v := rows[k].(type) {
		case string:
			return v
		case []byte:
			return string(v)
		}
		return ""
	}
	num := func(k string, required bool) int64 {
		switch v := rows[k].(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		case nil:
			if required {
				errs = append(errs, k+" missing")
			}
		default:
			errs = append(errs, fmt.Sprintf("%s: %v is not a number", k, v))
		}
		return 0
	}
	blob := func(k string) ([]byte, bool) {
		switch v := rows[k].(type) {
		case []byte:
			return v, true
		case string:
			return []byte(v), true
		}
		return nil, false
	}
	c.BabelDefault = str("babel_default")
	c.RegistryPrefix = str("registry_prefix")
	c.IPv4 = str("ipv4")
	c.Protocol = num("protocol", true)
	c.IPv4SubLen = num("ipv4_sublen", false)
	c.ClientCount = num("client_count", true)
	c.MaxClients = num("max_clients", true)
	c.Encrypt = num("encrypt", false) != 0
	c.Hello = num("hello", true)
	c.MinProtocol = num("min_protocol", false)
	c.TunnelRefresh = num("tunnel_refresh", true)
	if v, ok := rows["valid_until"].(float64); ok {
		c.ValidUntil = v
	} else if v, ok := rows["valid_until"].(int64); ok {
		c.ValidUntil = float64(v)
	}
	c.Version, _ = blob("version")
	c.BabelHMACSign, _ = blob("babel_hmac_sign")
	c.BabelHMACAccept, c.HasBabelHMACAccept = blob("babel_hmac_accept")
	if s := str("crl:json"); s != "" {
		if err := json.Unmarshal([]byte(s), &c.CRL); err != nil {
			errs = append(errs, "crl: "+err.Error())
		}
	}
	if s := str("same_country:json"); s != "" {
		if err := json.Unmarshal([]byte(s), &c.SameCountry); err != nil {
			errs = append(errs, "same_country: "+err.Error())
		}
	}
	if c.Hello <= 0 && len(errs) == 0 {
		errs = append(errs, fmt.Sprintf("hello %d is not a positive interval", c.Hello))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("network config: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// Revoked reports whether a certificate serial is in the CRL.
func (c *Config) Revoked(serial uint64) bool {
	for _, s := range c.CRL {
		if s == serial {
			return true
		}
	}
	return false
}

// MustRestart reports whether a change of these settings (names without
// ":json") needs a restart, for a node with or without a tunnel manager.
func MustRestart(changed []string, tunnelManager bool) bool {
	for _, k := range changed {
		for _, r := range NeedRestart {
			if k == r {
				return true
			}
		}
		if tunnelManager {
			for _, r := range NeedRestartTunnels {
				if k == r {
					return true
				}
			}
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

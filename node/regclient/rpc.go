package regclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"re6st-tui/node/identity"
)

func none() (map[string]string, []string) { return map[string]string{}, nil }

// GetCa returns the registry's CA certificate (PEM).
func (c *Client) GetCa(ctx context.Context) ([]byte, error) {
	a, n := none()
	b, _, err := c.call(ctx, "getCa", n, a)
	if err == nil && len(b) == 0 {
		err = fmt.Errorf("registry getCa: empty answer")
	}
	return b, err
}

// RequestToken asks the registry to mail a token to email.
func (c *Client) RequestToken(ctx context.Context, email string) error {
	_, _, err := c.call(ctx, "requestToken", []string{"email"}, map[string]string{"email": email})
	return err
}

// RequestCertificate sends a PEM CSR with a token ("" = anonymous) and
// returns the certificate PEM. A 204 is ErrInvalidToken.
func (c *Client) RequestCertificate(ctx context.Context, token string, csr []byte, location string) ([]byte, error) {
	b, code, err := c.call(ctx, "requestCertificate", []string{"token", "req", "location", "ip"},
		map[string]string{"token": token, "req": string(csr), "location": location, "ip": ""})
	if err != nil {
		return nil, err
	}
	if code == http.StatusNoContent || len(b) == 0 {
		return nil, ErrInvalidToken
	}
	return b, nil
}

// RenewCertificate returns the node's certificate, renewed if due.
func (c *Client) RenewCertificate(ctx context.Context) ([]byte, error) {
	b, _, err := c.authCall(ctx, "renewCertificate", []string{"cn"}, map[string]string{})
	return b, err
}

// GetDh returns the registry's DH parameters (PEM).
func (c *Client) GetDh(ctx context.Context) ([]byte, error) {
	b, _, err := c.authCall(ctx, "getDh", []string{"cn"}, map[string]string{})
	return b, err
}

// GetNetworkConfigRaw returns the zlib-compressed network config.
func (c *Client) GetNetworkConfigRaw(ctx context.Context) ([]byte, error) {
	b, _, err := c.authCall(ctx, "getNetworkConfig", []string{"cn"}, map[string]string{})
	return b, err
}

// GetNetworkConfig fetches, decodes and verifies the network config.
func (c *Client) GetNetworkConfig(ctx context.Context) (*NetConfig, error) {
	b, err := c.GetNetworkConfigRaw(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ca, key := c.ca, c.key
	c.mu.Unlock()
	return ParseNetworkConfig(b, ca, key)
}

// GetCountry asks the registry's GeoIP for the country of address ("" if unknown).
func (c *Client) GetCountry(ctx context.Context, address string) (string, error) {
	b, _, err := c.authCall(ctx, "getCountry", []string{"cn", "address"}, map[string]string{"address": address})
	return string(b), err
}

// GetBootstrapPeer returns a peer's prefix and address list, ok=false
// when the registry had none to give.
func (c *Client) GetBootstrapPeer(ctx context.Context) (prefix, addrs string, ok bool, err error) {
	b, _, err := c.authCall(ctx, "getBootstrapPeer", []string{"cn"}, map[string]string{})
	if err != nil || len(b) == 0 {
		return "", "", false, err
	}
	c.mu.Lock()
	key := c.key
	c.mu.Unlock()
	m, err := identity.Decrypt(key, b)
	if err != nil {
		return "", "", false, fmt.Errorf("bootstrap peer: %w", err)
	}
	prefix, addrs, found := strings.Cut(string(m), " ")
	if !found || identity.CheckBits(prefix) != nil {
		return "", "", false, fmt.Errorf("bootstrap peer: malformed answer %q", m)
	}
	return prefix, addrs, true, nil
}

// Private methods: the registry answers them only to authorized origins.

// IsToken reports whether token exists.
func (c *Client) IsToken(ctx context.Context, token string) (bool, error) {
	b, _, err := c.call(ctx, "isToken", []string{"token"}, map[string]string{"token": token})
	return string(b) == "1", err
}

// DeleteToken removes a token.
func (c *Client) DeleteToken(ctx context.Context, token string) error {
	_, _, err := c.call(ctx, "deleteToken", []string{"token"}, map[string]string{"token": token})
	return err
}

// AddToken stores a token for email.
func (c *Client) AddToken(ctx context.Context, email, token string) error {
	_, _, err := c.call(ctx, "addToken", []string{"email", "token"}, map[string]string{"email": email, "token": token})
	return err
}

// Revoke revokes by X.509 serial ("12") or CN ("1/16").
func (c *Client) Revoke(ctx context.Context, cnOrSerial string) error {
	_, _, err := c.call(ctx, "revoke", []string{"cn_or_serial"}, map[string]string{"cn_or_serial": cnOrSerial})
	return err
}

// UpdateHMAC performs one babel key rotation step.
func (c *Client) UpdateHMAC(ctx context.Context) error {
	a, n := none()
	_, _, err := c.call(ctx, "updateHMAC", n, a)
	return err
}

func (c *Client) byEmail(ctx context.Context, method, email string) (string, error) {
	b, _, err := c.call(ctx, method, []string{"email"}, map[string]string{"email": email})
	return string(b), err
}

// GetNodePrefix returns the CN of the node registered with email ("" if none).
func (c *Client) GetNodePrefix(ctx context.Context, email string) (string, error) {
	return c.byEmail(ctx, "getNodePrefix", email)
}

// GetIPv6Address returns the subnet address of the node registered with email.
func (c *Client) GetIPv6Address(ctx context.Context, email string) (string, error) {
	return c.byEmail(ctx, "getIPv6Address", email)
}

// GetIPv4Information returns the first advertised IP of that node.
func (c *Client) GetIPv4Information(ctx context.Context, email string) (string, error) {
	return c.byEmail(ctx, "getIPv4Information", email)
}

// Versions returns the JSON map prefix → version string (or null).
func (c *Client) Versions(ctx context.Context) ([]byte, error) {
	a, n := none()
	b, _, err := c.call(ctx, "versions", n, a)
	return b, err
}

// Topology returns the JSON tunnel graph.
func (c *Client) Topology(ctx context.Context) ([]byte, error) {
	a, n := none()
	b, _, err := c.call(ctx, "topology", n, a)
	return b, err
}

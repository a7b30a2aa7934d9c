package registry

import (
	"crypto/rsa"
	"log/slog"
	"time"

	"re6st-tui/node/identity"
)

// Protocol is the re6st protocol number this registry speaks.
const Protocol = 10

// BabelDefault is the fixed babeld "default" line sent in the network config.
const BabelDefault = "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125"

// Config is what re6st-registry's options set. Zero values mean re6st's
// defaults where DefaultConfig documents one.
type Config struct {
	DB    string          // registry.db path, created if missing
	CA    *identity.CA    // network CA
	CAKey *rsa.PrivateKey // its private key
	DH    string          // DH parameters file served by getDh

	MailHost     string // SMTP host, or an mbox file path; "" disables requestToken
	SMTPUser     string
	SMTPPassword string
	SMTPStartTLS bool

	PrefixLength          int    // token prefixes; 0 disables token registration
	AnonymousPrefixLength int    // 0 disables anonymous registration
	IPv4                  string // "A.B.C.D/n" or "" (--ipv4 first value, normalized)
	IPv4Sublen            int    // --ipv4 second value
	MinProtocol           int
	AuthorizedOrigin      []string // in addition to 127.0.0.1 and ::1
	Communities           []Community
	GracePeriod           time.Duration
	Hello                 int
	Encrypt               bool
	ClientCount           int
	MaxClients            int // 0: 2 × ClientCount
	TunnelRefresh         int
	SameCountry           []string

	// Node is the channel to the local re6st node (::1 port 326); nil
	// makes the network-facing RPCs answer as if no node replied.
	Node LocalNode
	// Country maps an IP to (country, continent), ok=false when unknown;
	// nil means no GeoIP database: getCountry answers "unknown" (204).
	Country func(ip string) (country, continent string, ok bool)

	Now func() time.Time // clock, time.Now when nil
	Log *slog.Logger     // slog.Default() when nil
}

// DefaultConfig returns re6st-registry's defaults.
func DefaultConfig() Config {
	return Config{
		DB: "/var/lib/re6stnet/registry.db", PrefixLength: 16, MinProtocol: 1,
		GracePeriod: 8640000 * time.Second, Hello: 15, ClientCount: 10, TunnelRefresh: 300,
	}
}

package registry

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"time"

	"re6st-tui/node/config"
	"re6st-tui/node/geoip"
	"re6st-tui/node/identity"
)

// registryOptions are re6st-registry's options.
var registryOptions = []config.Option{
	{Long: "port", Args: 1},
	{Short: '4', Long: "bind4", Args: 1},
	{Short: '6', Long: "bind6", Args: 1},
	{Long: "db", Args: 1},
	{Long: "dh", Args: 1},
	{Long: "ca", Args: 1},
	{Long: "key", Args: 1},
	{Long: "mailhost", Args: 1},
	{Long: "smtp-user", Args: 1},
	{Long: "smtp-pwd", Args: 1},
	{Long: "smtp-starttls"},
	{Long: "prefix-length", Args: 1},
	{Long: "anonymous-prefix-length", Args: 1},
	{Long: "ipv4", Args: 2},
	{Short: 'l', Long: "logfile", Args: 1},
	{Short: 'r', Long: "run", Args: 1},
	{Short: 'v', Long: "verbose", Args: 1},
	{Long: "min-protocol", Args: 1},
	{Long: "authorized-origin", Args: 1, Repeat: true},
	{Long: "community", Args: 1},
	{Long: "grace-period", Args: 1},
	{Long: "hello", Args: 1},
	{Long: "encrypt"},
	{Long: "client-count", Args: 1},
	{Long: "max-clients", Args: 1},
	{Long: "tunnel-refresh", Args: 1},
	{Long: "same-country", Args: 1, Repeat: true},
}

// Options is re6st-registry's command line.
type Options struct {
	Config
	Port         int
	Bind4, Bind6 string // "" disables that listener
	CAPath       string
	KeyPath      string
	LogFile      string
	RunDir       string
	Verbose      int
	GeoIP        *geoip.DB // from GEOIP2_MMDB, nil when unset; the caller closes it
}

// ParseOptions parses re6st-registry's arguments (with @file option
// files) and loads the CA, its key and the community file.
func ParseOptions(args []string) (*Options, error) {
	set, err := config.NewParser(registryOptions).Parse(args)
	if err != nil {
		return nil, err
	}
	if len(set.Positional) > 0 {
		a := set.Positional[0]
		return nil, &config.Error{Src: a.Src, Msg: fmt.Sprintf("unexpected argument %q", a.Text)}
	}
	o := &Options{Config: DefaultConfig(), Port: 80, Bind4: "0.0.0.0", Bind6: "::",
		LogFile: "/var/log/re6stnet/registry.log", RunDir: "/var/run/re6stnet", Verbose: 1}
	str := func(name string, dst *string) {
		if occ, ok := set.Last(name); ok {
			*dst = occ.Values[0]
		}
	}
	num := func(name string, dst *int) error {
		occ, ok := set.Last(name)
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(occ.Values[0])
		if err != nil {
			return &config.Error{Src: occ.Src, Msg: fmt.Sprintf("--%s: %q is not an integer", name, occ.Values[0])}
		}
		*dst = n
		return nil
	}
	for _, s := range []struct {
		n string
		d *string
	}{{"bind4", &o.Bind4}, {"bind6", &o.Bind6}, {"db", &o.DB}, {"dh", &o.DH}, {"ca", &o.CAPath},
		{"key", &o.KeyPath}, {"mailhost", &o.MailHost}, {"smtp-user", &o.SMTPUser}, {"smtp-pwd", &o.SMTPPassword},
		{"logfile", &o.LogFile}, {"run", &o.RunDir}} {
		str(s.n, s.d)
	}
	grace := int(o.GracePeriod / time.Second)
	for _, n := range []struct {
		n string
		d *int
	}{{"port", &o.Port}, {"prefix-length", &o.PrefixLength}, {"anonymous-prefix-length", &o.AnonymousPrefixLength},
		{"verbose", &o.Verbose}, {"min-protocol", &o.MinProtocol}, {"grace-period", &grace}, {"hello", &o.Hello},
		{"client-count", &o.ClientCount}, {"max-clients", &o.MaxClients}, {"tunnel-refresh", &o.TunnelRefresh}} {
		if err := num(n.n, n.d); err != nil {
			return nil, err
		}
	}
	o.GracePeriod = time.Duration(grace) * time.Second
	o.SMTPStartTLS = set.Has("smtp-starttls")
	o.Encrypt = set.Has("encrypt")
	for _, occ := range set.Options["authorized-origin"] {
		o.AuthorizedOrigin = append(o.AuthorizedOrigin, occ.Values[0])
	}
	for _, occ := range set.Options["same-country"] {
		o.SameCountry = append(o.SameCountry, occ.Values[0])
	}
	if o.MinProtocol < 1 || o.MinProtocol > Protocol {
		occ, _ := set.Last("min-protocol")
		return nil, &config.Error{Src: occ.Src, Msg: fmt.Sprintf("--min-protocol: value must be between 1 and %d", Protocol)}
	}
	if occ, ok := set.Last("ipv4"); ok {
		p, err := netip.ParsePrefix(occ.Values[0])
		plen, perr := strconv.Atoi(occ.Values[1])
		if err != nil || !p.Addr().Is4() || perr != nil {
			return nil, &config.Error{Src: occ.Src, Msg: "invalid argument --ipv4: expected A.B.C.D/N PLEN, e.g. 10.42.0.0/16 8"}
		}
		o.IPv4, o.IPv4Sublen = p.String(), plen
	}
	if g, err := geoip.OpenEnv(); err != nil {
		return nil, err
	} else if g != nil {
		o.GeoIP, o.Country = g, g.Lookup
	} else if len(o.SameCountry) > 0 {
		return nil, fmt.Errorf("--same-country needs a GeoIP database: set GEOIP2_MMDB to a GeoLite2 Country file, or remove the option")
	}
	for _, req := range []struct{ name, val string }{{"ca", o.CAPath}, {"key", o.KeyPath}, {"dh", o.DH}} {
		if req.val == "" {
			return nil, fmt.Errorf("the --%s option is required", req.name)
		}
	}
	if err := o.load(); err != nil {
		return nil, err
	}
	if occ, ok := set.Last("community"); ok {
		f, err := os.Open(occ.Values[0])
		if err != nil {
			return nil, &config.Error{Src: occ.Src, Msg: err.Error()}
		}
		defer f.Close()
		if o.Communities, err = ParseCommunities(f); err != nil {
			return nil, &config.Error{Src: occ.Src, Msg: err.Error()}
		}
	}
	return o, nil
}

func (o *Options) load() error {
	b, err := os.ReadFile(o.CAPath)
	if err != nil {
		return fmt.Errorf("read --ca: %w", err)
	}
	if o.CA, err = identity.ParseCA(b); err != nil {
		return fmt.Errorf("%s: %w", o.CAPath, err)
	}
	if b, err = os.ReadFile(o.KeyPath); err != nil {
		return fmt.Errorf("read --key: %w", err)
	}
	if o.CAKey, err = identity.ParseKeyPEM(b); err != nil {
		return fmt.Errorf("%s: %w", o.KeyPath, err)
	}
	return nil
}

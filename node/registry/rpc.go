package registry

import (
	"fmt"
	"net/http"
	"os"
	"strconv"

	"re6st-tui/node/identity"
)

// param is one RPC parameter; def is used when optional and absent.
type param struct {
	name     string
	optional bool
	def      string
}

type method struct {
	params  []param
	private bool
	auth    bool // has a cn parameter: needs a session
	fn      func(r *Registry, c *call) ([]byte, error)
}

// bind checks parameter names like Python's call binding: no unknown
// names, every required one present; defaults fill the rest.
func (m *method) bind(args map[string]string) error {
	for k := range args {
		known := false
		for _, p := range m.params {
			known = known || p.name == k
		}
		if !known {
			return fmt.Errorf("unexpected parameter %q", k)
		}
	}
	for _, p := range m.params {
		if _, ok := args[p.name]; !ok {
			if !p.optional {
				return fmt.Errorf("missing parameter %q", p.name)
			}
			args[p.name] = p.def
		}
	}
	return nil
}

func req(names ...string) []param {
	ps := make([]param, len(names))
	for i, n := range names {
		ps[i] = param{name: n}
	}
	return ps
}

var methods map[string]*method

func init() {
	cn := req("cn")
	methods = map[string]*method{
		"hello": {params: []param{{name: "client_prefix"}, {name: "protocol", optional: true, def: "1"}}, fn: rpcHello},
		"getCa": {fn: func(r *Registry, _ *call) ([]byte, error) { return identity.EncodeCertPEM(r.cfg.CA.Cert), nil }},
		"requestToken": {params: req("email"), fn: func(r *Registry, c *call) ([]byte, error) {
			return nil, r.RequestToken(c.args["email"])
		}},
		"requestCertificate": {params: []param{{name: "token"}, {name: "req"},
			{name: "location", optional: true}, {name: "ip", optional: true}}, fn: rpcRequestCertificate},
		"renewCertificate": {params: cn, auth: true, fn: func(r *Registry, c *call) ([]byte, error) {
			return r.RenewCertificate(c.args["cn"])
		}},
		"getDh":            {params: cn, auth: true, fn: rpcGetDh},
		"getNetworkConfig": {params: cn, auth: true, fn: rpcGetNetworkConfig},
		"getCountry":       {params: req("cn", "address"), auth: true, fn: rpcGetCountry},
		"getBootstrapPeer": {params: cn, auth: true, fn: rpcGetBootstrapPeer},
		"isToken": {params: req("token"), private: true, fn: func(r *Registry, c *call) ([]byte, error) {
			ok, err := r.IsToken(c.args["token"])
			if ok {
				return []byte("1"), err
			}
			return nil, err
		}},
		"deleteToken": {params: req("token"), private: true, fn: func(r *Registry, c *call) ([]byte, error) {
			return nil, r.DeleteToken(c.args["token"])
		}},
		"addToken": {params: req("email", "token"), private: true, fn: func(r *Registry, c *call) ([]byte, error) {
			_, err := r.AddToken(c.args["email"], c.args["token"], false)
			return nil, err
		}},
		"revoke": {params: req("cn_or_serial"), private: true, fn: func(r *Registry, c *call) ([]byte, error) {
			return nil, r.Revoke(c.args["cn_or_serial"])
		}},
		"updateHMAC": {private: true, fn: func(r *Registry, _ *call) ([]byte, error) { return nil, r.UpdateHMAC() }},
		"getNodePrefix": {params: req("email"), private: true, fn: func(r *Registry, c *call) ([]byte, error) {
			p, _ := r.NodePrefix(c.args["email"])
			return []byte(p), nil
		}},
		"getIPv6Address":     {params: req("email"), private: true, fn: rpcGetIPv6Address},
		"getIPv4Information": {params: req("email"), private: true, fn: rpcGetIPv4Information},
		"versions":           {private: true, fn: func(r *Registry, _ *call) ([]byte, error) { return r.Versions(), nil }},
		"topology":           {private: true, fn: func(r *Registry, _ *call) ([]byte, error) { return r.Topology(), nil }},
	}
}

func rpcHello(r *Registry, c *call) ([]byte, error) {
	proto, err := strconv.Atoi(c.args["protocol"])
	if err != nil {
		return nil, status(http.StatusInternalServerError, "protocol must be an integer")
	}
	return r.Hello(c.args["client_prefix"], proto)
}

func rpcRequestCertificate(r *Registry, c *call) ([]byte, error) {
	return r.RequestCertificate(CertRequest{Token: c.args["token"], CSR: []byte(c.args["req"]),
		Location: c.args["location"], IP: c.args["ip"]})
}

func rpcGetDh(r *Registry, _ *call) ([]byte, error) {
	if r.cfg.DH == "" {
		return nil, status(http.StatusInternalServerError, "registry has no DH file (--dh)")
	}
	b, err := os.ReadFile(r.cfg.DH)
	if err != nil {
		return nil, fmt.Errorf("read DH parameters: %w", err)
	}
	return b, nil
}

func rpcGetNetworkConfig(r *Registry, c *call) ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ci := r.certs[c.args["cn"]]
	if ci == nil || ci.pub == nil {
		return nil, status(http.StatusNotFound, "no certificate for prefix %s", c.args["cn"])
	}
	return r.networkConfig(c.args["cn"], ci.pub)
}

func rpcGetCountry(r *Registry, c *call) ([]byte, error) {
	if r.cfg.Country == nil {
		// re6st answers 400 here, which costs the node a new hello for
		// the same result; "unknown" is what it means.
		return nil, nil
	}
	country, _, ok := r.cfg.Country(c.args["address"])
	if !ok || country == "*" {
		return nil, nil
	}
	return []byte(country), nil
}

func rpcGetBootstrapPeer(r *Registry, c *call) ([]byte, error) {
	msg, ok := r.BootstrapPeer(c.args["cn"], c.protocol)
	if !ok {
		return nil, nil
	}
	r.mu.RLock()
	ci := r.certs[c.args["cn"]]
	r.mu.RUnlock()
	if ci == nil || ci.pub == nil {
		return nil, status(http.StatusNotFound, "no certificate for prefix %s", c.args["cn"])
	}
	return identity.Encrypt(ci.pub, []byte(msg))
}

func rpcGetIPv6Address(r *Registry, c *call) ([]byte, error) {
	cn, ok := r.NodePrefix(c.args["email"])
	if !ok {
		return nil, nil
	}
	p, err := identity.PrefixFromCN(cn)
	if err != nil {
		return nil, err
	}
	s, err := r.cfg.CA.Subnet(p)
	if err != nil {
		return nil, err
	}
	return []byte(s.Addr().String()), nil
}

func rpcGetIPv4Information(r *Registry, c *call) ([]byte, error) {
	ip, _ := r.IPv4Information(c.args["email"])
	return []byte(ip), nil
}

package registry

import (
	"bytes"
	"compress/zlib"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"sync"

	"re6st-tui/node/identity"
	"re6st-tui/node/packint"
)

// canonicalConfig lists the version-relevant parameters (§2.8 of the
// protocol reference) in the order re6st inserts them.
func (r *Registry) canonicalConfig() []kv {
	c := r.cfg
	kw := []kv{
		{"babel_default", BabelDefault},
		{"crl", r.crlList()},
		{"protocol", Protocol},
		{"registry_prefix", r.prefix},
	}
	if c.IPv4 != "" {
		kw = append(kw, kv{"ipv4", c.IPv4}, kv{"ipv4_sublen", c.IPv4Sublen})
	}
	if len(c.SameCountry) > 0 {
		kw = append(kw, kv{"same_country", c.SameCountry})
	}
	return append(kw,
		kv{"client_count", c.ClientCount}, kv{"encrypt", c.Encrypt}, kv{"hello", c.Hello},
		kv{"max_clients", c.MaxClients}, kv{"min_protocol", c.MinProtocol},
		kv{"tunnel_refresh", c.TunnelRefresh})
}

// updateNetworkConfig rebuilds the served config and bumps the version
// when the canonical string differs from the stored last_config.
func (r *Registry) updateNetworkConfig(q execer) error {
	kw := r.canonicalConfig()
	canon := string(dumpsSorted(kw))
	last, err := getConfig(q, "last_config")
	if err != nil {
		return err
	}
	if s, ok := asString(last); !ok || s != canon {
		if err := r.increaseVersion(q); err != nil {
			return err
		}
		if err := setConfig(q, "last_config", canon); err != nil {
			return err
		}
		r.notifyNode()
	}
	r.netconf = kw
	r.confGen++
	return nil
}

// increaseVersion stores version n+1, signed by the CA.
func (r *Registry) increaseVersion(q execer) error {
	n, _, err := packint.Decode(r.version)
	if err != nil {
		n = 0
	}
	num, err := packint.Encode(n + 1)
	if err != nil {
		return fmt.Errorf("network version: %w", err)
	}
	v, err := identity.SignedBlob(r.cfg.CAKey, num)
	if err != nil {
		return err
	}
	if err := setConfig(q, "version", v); err != nil {
		return err
	}
	r.version = v
	r.confGen++
	return nil
}

// Version returns the current network version number and blob.
func (r *Registry) Version() (uint64, []byte) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n, _ := r.versionNumber()
	return n, append([]byte(nil), r.version...)
}

func (r *Registry) versionNumber() (uint64, error) {
	n, _, err := packint.Decode(r.version)
	return n, err
}

// cachedBody is a node's compressed config: PKCS#1 v1.5 encryption is
// randomized, but one ciphertext of the babel keys per node and config
// generation is as good as a fresh one, and saves an RSA operation and a
// compression per request.
type cachedBody struct {
	gen  uint64
	pub  *rsa.PublicKey
	body []byte
}

// networkConfig returns the body for the node with key pub, from the cache
// when still current. Caller holds mu (read).
func (r *Registry) networkConfig(prefix string, pub *rsa.PublicKey) ([]byte, error) {
	if v, ok := r.bodies.Load(prefix); ok {
		if c := v.(*cachedBody); c.gen == r.confGen && c.pub == pub {
			return c.body, nil
		}
	}
	body, err := r.networkConfigFor(func(b []byte) ([]byte, error) { return identity.Encrypt(pub, b) })
	if err != nil {
		return nil, err
	}
	r.bodies.Store(prefix, &cachedBody{gen: r.confGen, pub: pub, body: body})
	return body, nil
}

var zlibPool = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

// networkConfigFor returns the zlib-compressed JSON served to the node
// holding pub. Caller holds mu (read).
func (r *Registry) networkConfigFor(pubEnc func([]byte) ([]byte, error)) ([]byte, error) {
	kw := make([]kv, 0, len(r.netconf)+6)
	kw = append(kw, r.netconf...)
	kw = append(kw, kv{"", []string{"version"}}, kv{"version", base64.StdEncoding.EncodeToString(r.version)})
	if r.validUntil != 0 {
		kw = append(kw, kv{"valid_until", r.validUntil})
	}
	names := [2]string{"babel_hmac_sign", "babel_hmac_accept"}
	i := 0
	for k := range r.hmac {
		if !r.hmacSet[k] {
			continue
		}
		val := ""
		if len(r.hmac[k]) > 0 {
			c, err := pubEnc(r.hmac[k])
			if err != nil {
				return nil, err
			}
			val = base64.StdEncoding.EncodeToString(c)
		}
		if i < 2 {
			kw = append(kw, kv{names[i], val})
		}
		i++
	}
	js := dumps(kw)
	var buf bytes.Buffer
	w := zlibPool.Get().(*zlib.Writer)
	w.Reset(&buf)
	w.Write(js)
	err := w.Close()
	zlibPool.Put(w)
	if err != nil {
		return nil, fmt.Errorf("compress network config: %w", err)
	}
	return buf.Bytes(), nil
}

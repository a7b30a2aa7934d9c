package doctor

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"
)

// renewPeriod is how long before notAfter a node renews its certificate.
const renewPeriod = 30 * 24 * time.Hour

// maxSkew is how far the clock may be from the registry's.
const maxSkew = 5 * time.Minute

// registryAnswer is what one getCa request to the registry told us.
type registryAnswer struct {
	err     error
	ca      *x509.Certificate
	date    time.Time // the response's Date header
	sentAt  time.Time
	elapsed time.Duration
}

// registry fetches /getCa once per Doctor.
func (d *Doctor) registry(ctx context.Context) registryAnswer {
	d.once.Do(func() { d.reg = d.fetchCA(ctx) })
	return d.reg
}

func (d *Doctor) fetchCA(ctx context.Context) registryAnswer {
	c := d.Node.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	u := strings.TrimSuffix(d.Node.Registry, "/") + "/getCa"
	a := registryAnswer{sentAt: d.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		a.err = fmt.Errorf("registry URL %q: %w", d.Node.Registry, err)
		return a
	}
	resp, err := c.Do(req)
	if err != nil {
		a.err = fmt.Errorf("GET %s: %w", u, err)
		return a
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	a.elapsed = d.Now().Sub(a.sentAt)
	if err != nil {
		a.err = fmt.Errorf("GET %s: %w", u, err)
		return a
	}
	if resp.StatusCode != http.StatusOK {
		a.err = fmt.Errorf("GET %s: %s", u, resp.Status)
		return a
	}
	a.date, _ = http.ParseTime(resp.Header.Get("Date"))
	if a.ca, err = parsePEMCert(body); err != nil {
		a.err = fmt.Errorf("GET %s: %w", u, err)
	}
	return a
}

func parsePEMCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no PEM certificate in the answer")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func checkRegistry(ctx context.Context, d *Doctor) Result {
	if d.Node.Registry == "" {
		return result(Skip, "no registry URL configured")
	}
	a := d.registry(ctx)
	if a.err != nil {
		return result(Fail, fmt.Sprintf("registry unreachable: %v: check the URL, DNS and the route to it", a.err))
	}
	return result(OK, fmt.Sprintf("registry %s answered in %v", d.Node.Registry, a.elapsed.Round(time.Millisecond)))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func checkCertificate(ctx context.Context, d *Doctor) Result {
	c := d.Node.Cert
	if c == nil {
		return result(Skip, "no certificate: the node has not enrolled yet (run re6st-conf)")
	}
	now := d.Now()
	details := []string{"subject " + c.Subject.String(), "valid " + day(c.NotBefore) + " to " + day(c.NotAfter)}
	if d.Node.CA != nil {
		if err := c.CheckSignatureFrom(d.Node.CA); err != nil {
			return result(Fail, fmt.Sprintf("certificate not signed by the CA in use: %v: enroll again with re6st-conf", err), details...)
		}
	}
	renew := c.NotAfter.Add(-renewPeriod)
	switch {
	case now.Before(c.NotBefore):
		return result(Fail, fmt.Sprintf("certificate not valid before %s: the clock is behind (check the clock check)", day(c.NotBefore)), details...)
	case !now.Before(c.NotAfter):
		return result(Fail, fmt.Sprintf("certificate expired on %s: the node renews it for up to 100 days after, else run re6st-conf", day(c.NotAfter)), details...)
	case !now.Before(renew):
		return result(Warn, fmt.Sprintf("certificate expires on %s and is due for renewal since %s: is the registry reachable?", day(c.NotAfter), day(renew)), details...)
	}
	return result(OK, fmt.Sprintf("certificate valid until %s; renewal from %s", day(c.NotAfter), day(renew)), details...)
}

// fingerprint hashes der as "alg:hex" names it.
func fingerprint(alg string, der []byte) (string, error) {
	var h hash.Hash
	switch strings.ToLower(alg) {
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("fingerprint algorithm %q unknown: use sha256", alg)
	}
	h.Write(der)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func checkCAFingerprint(ctx context.Context, d *Doctor) Result {
	pin := d.Node.CAFingerprint
	if pin == "" || (d.Node.CA == nil && d.Node.Registry == "") {
		return result(Skip, "no CA fingerprint pinned")
	}
	alg, want, ok := strings.Cut(pin, ":")
	if !ok {
		return result(Error, fmt.Sprintf("pinned fingerprint %q is not ALG:HEX, e.g. sha256:…", pin))
	}
	want = strings.ToLower(strings.ReplaceAll(want, ":", ""))
	var details []string
	var bad []string
	compare := func(what string, c *x509.Certificate) error {
		got, err := fingerprint(alg, c.Raw)
		if err != nil {
			return err
		}
		details = append(details, fmt.Sprintf("%s: %s:%s", what, alg, got))
		if got != want {
			bad = append(bad, what)
		}
		return nil
	}
	if d.Node.CA != nil {
		if err := compare("CA file", d.Node.CA); err != nil {
			return result(Error, err.Error())
		}
	}
	if d.Node.Registry != "" {
		if a := d.registry(ctx); a.err == nil {
			if err := compare("registry's CA", a.ca); err != nil {
				return result(Error, err.Error())
			}
			if d.Node.CA != nil && !bytes.Equal(a.ca.Raw, d.Node.CA.Raw) {
				details = append(details, "the registry serves a CA different from the CA file")
			}
		} else {
			details = append(details, "registry's CA: unreachable")
		}
	}
	if len(bad) > 0 {
		return result(Fail, "CA does not match the pinned fingerprint ("+strings.Join(bad, ", ")+"): the network's CA changed or this is another registry; do not trust it until the operator confirms", details...)
	}
	return result(OK, "CA matches the pinned fingerprint", details...)
}

func checkClock(ctx context.Context, d *Doctor) Result {
	now := d.Now()
	var details []string
	if d.Node.CA != nil && now.Before(d.Node.CA.NotBefore) {
		return result(Fail, fmt.Sprintf("the clock (%s) is before the CA was made (%s): set the time (NTP)", day(now), day(d.Node.CA.NotBefore)))
	}
	if d.Node.Registry == "" {
		if d.Node.CA == nil {
			return result(Skip, "nothing to compare the clock with")
		}
		return result(OK, "the clock is after the CA's start (no registry to compare with)")
	}
	a := d.registry(ctx)
	if a.err != nil || a.date.IsZero() {
		return result(Skip, "the registry gave no time to compare with")
	}
	// The Date header has a resolution of 1 s and was stamped during the
	// round trip: allow for both.
	skew := a.sentAt.Add(a.elapsed / 2).Sub(a.date)
	details = append(details, fmt.Sprintf("registry time %s, ours %s", a.date.UTC().Format(time.RFC3339), a.sentAt.UTC().Format(time.RFC3339)))
	if skew < 0 {
		skew = -skew
	}
	if skew > maxSkew+a.elapsed+time.Second {
		return result(Fail, fmt.Sprintf("the clock is %v off the registry's: certificates and Babel's HMAC need the right time; set the time (NTP)", skew.Round(time.Second)), details...)
	}
	return result(OK, fmt.Sprintf("the clock is within %v of the registry's", maxSkew), details...)
}

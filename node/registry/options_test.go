package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
)

func TestParseOptions(t *testing.T) {
	dir := t.TempDir()
	ca := testCA()
	key, _ := identity.EncodeKeyPEM(ca.Priv)
	w := func(n, s string) string {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	caPath, keyPath := w("ca.crt", string(ca.PEM)), w("ca.key", string(key))
	comm := w("community", "# demo\n000 *\n001 @AS AU\n010 FR DE IT\n")
	conf := w("r.conf", strings.Join([]string{
		"port 8080", "ca " + caPath, "key " + keyPath, "dh dh.pem", "db x.db",
		"  # indented comment", "anonymous-prefix-length 20", "ipv4 10.42.0.0/16 8",
		"authorized-origin 198.51.100.1", "community " + comm, "encrypt", "grace-period 60", "6 ''",
	}, "\n"))
	o, err := ParseOptions([]string{"@" + conf, "--client-count", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Port != 8080 || o.Bind4 != "0.0.0.0" || o.Bind6 != "" || o.AnonymousPrefixLength != 20 || o.PrefixLength != 16 ||
		o.IPv4 != "10.42.0.0/16" || o.IPv4Sublen != 8 || !o.Encrypt || o.GracePeriod != time.Minute ||
		o.ClientCount != 3 || len(o.Communities) != 3 || o.AuthorizedOrigin[0] != "198.51.100.1" || o.CA == nil {
		t.Errorf("options %+v", o)
	}
	bad := w("bad.conf", "ca "+caPath+"\nkey "+keyPath+"\ndh x\nhello soon\n")
	if _, err := ParseOptions([]string{"@" + bad}); err == nil || !strings.Contains(err.Error(), "bad.conf:4") {
		t.Errorf("bad value: %v", err)
	}
	if _, err := ParseOptions([]string{"--ca", caPath, "--key", keyPath}); err == nil || !strings.Contains(err.Error(), "--dh") {
		t.Errorf("missing --dh: %v", err)
	}
	if _, err := ParseOptions([]string{"--ca", caPath, "--key", keyPath, "--dh", "x", "--min-protocol", "11"}); err == nil {
		t.Error("--min-protocol 11 accepted")
	}
	t.Setenv("GEOIP2_MMDB", "")
	if _, err := ParseOptions([]string{"--ca", caPath, "--key", keyPath, "--dh", "x", "--same-country", "FR"}); err == nil || !strings.Contains(err.Error(), "GEOIP2_MMDB") {
		t.Errorf("--same-country without GeoIP: %v", err)
	}
	t.Setenv("GEOIP2_MMDB", writeGeoDB(t))
	o, err = ParseOptions([]string{"--ca", caPath, "--key", keyPath, "--dh", "x", "--same-country", "FR", "--same-country", "DE"})
	if err != nil || o.GeoIP == nil || len(o.SameCountry) != 2 {
		t.Fatalf("--same-country with GeoIP: %v", err)
	}
	o.GeoIP.Close()
	nostar := w("c2", "000 FR\n")
	if _, err := ParseOptions([]string{"--ca", caPath, "--key", keyPath, "--dh", "x", "--community", nostar}); err == nil {
		t.Error("community file without '*' accepted")
	}
}

package peer

import (
	"slices"
	"testing"
)

// FuzzParseAddresses: address lists come from peers (code 1 answers), the
// registry and the cache. Whatever parses must format back to a list that
// parses to the same addresses.
func FuzzParseAddresses(f *testing.F) {
	for _, s := range []string{
		"198.18.0.12,1194,udp;198.18.0.12,1194,tcp",
		"2001:db8::1,1194,udp6,FR;198.18.0.1,443,tcp,DE,extra",
		"", ";", "a,b", "1.2.3.4,99999,udp", "1.2.3.4,-1,tcp", ",,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, errs := ParseAddresses(s)
		for _, err := range errs {
			if err == nil || err.Error() == "" {
				t.Fatal("an empty error")
			}
		}
		again, errs := ParseAddresses(FormatAddresses(list, true))
		if len(errs) > 0 || !slices.Equal(list, again) {
			t.Fatalf("%q parsed to %v, formatted and parsed again to %v (%v)", s, list, again, errs)
		}
	})
}

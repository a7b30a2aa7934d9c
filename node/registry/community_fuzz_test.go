package registry

import (
	"strings"
	"testing"
)

// FuzzParseCommunities: the community file is read at start. A file that
// parses has exactly one default, and valid prefixes with locations.
func FuzzParseCommunities(f *testing.F) {
	f.Add("# communities\n0 *\n10 FR DE\n11 @EU\n")
	f.Add("1 *\n1\n")
	f.Add("2 *\n")
	f.Add("0 *\n1 *\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseCommunities(strings.NewReader(s))
		if err != nil {
			if cs != nil || !strings.Contains(err.Error(), "community file") {
				t.Fatalf("error %q with %v", err, cs)
			}
			return
		}
		defaults := 0
		for _, c := range cs {
			if len(c.Locations) == 0 || strings.Trim(c.Prefix, "01") != "" {
				t.Fatalf("community %+v", c)
			}
			for _, l := range c.Locations {
				if l == "*" {
					defaults++
				}
			}
		}
		if defaults != 1 {
			t.Fatalf("%d defaults", defaults)
		}
	})
}

package registry

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"re6st-tui/node/identity"
)

// Community is a block of the network reserved for some locations:
// "*" (the default), a country code ("FR") or a continent ("@EU").
type Community struct {
	Prefix    string
	Locations []string
}

// ParseCommunities reads a community file: "<binary prefix> <location>…"
// lines, # comments. Exactly one community must list "*".
func ParseCommunities(r io.Reader) ([]Community, error) {
	var out []Community
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Fields(s)
		if err := identity.CheckBits(f[0]); err != nil {
			return nil, fmt.Errorf("community file line %d: %w", line, err)
		}
		if len(f) == 1 {
			return nil, fmt.Errorf("community file line %d: %s lists no location: add country codes (FR), continents (@EU) or * for the default", line, f[0])
		}
		out = append(out, Community{Prefix: f[0], Locations: f[1:]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read community file: %w", err)
	}
	defaults := 0
	for _, c := range out {
		for _, l := range c.Locations {
			if l == "*" {
				defaults++
			}
		}
	}
	if defaults != 1 {
		return nil, fmt.Errorf("community file needs exactly one default location '*' (found %d): add '*' to one line", defaults)
	}
	return out, nil
}

// checkCommunities refuses overlapping communities and communities inside
// an allocated block.
func checkCommunities(cs []Community, t *tree) error {
	ps := make([]string, len(cs))
	for i, c := range cs {
		ps[i] = c.Prefix
	}
	sort.Strings(ps)
	prev := "-"
	for _, p := range ps {
		if strings.HasPrefix(p, prev) {
			return fmt.Errorf("invalid community configuration: communities %s and %s overlap", prev, p)
		}
		if row, ok := t.containing(p); ok && t.rows[row] != rowFree {
			return fmt.Errorf("invalid community configuration: prefix %s contains community %s", row, p)
		}
		prev = p
	}
	return nil
}

// community picks the community for a location: one listing the country,
// else one listing the continent ("@EU"), else the default.
func community(cs []Community, country, continent string) string {
	for _, c := range cs {
		for _, l := range c.Locations {
			if l == country {
				return c.Prefix
			}
		}
	}
	def := ""
	for _, c := range cs {
		for _, l := range c.Locations {
			if l == continent {
				return c.Prefix
			}
			if l == "*" {
				def = c.Prefix
			}
		}
	}
	return def
}

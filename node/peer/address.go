package peer

import (
	"fmt"
	"strconv"
	"strings"
)

// Address is one way to reach a node's tunnel server.
type Address struct {
	IP      string // usually a literal address; OpenVPN resolves names
	Port    uint16
	Proto   string // udp, tcp, udp6, tcp6
	Country string // ISO 3166 code, or ""
}

// ParseAddresses reads "ip,port,proto[,country];…". Malformed entries are
// skipped and reported; fields after the fourth are ignored.
func ParseAddresses(s string) ([]Address, []error) {
	var out []Address
	var errs []error
	if s == "" {
		return nil, nil
	}
	for _, entry := range strings.Split(s, ";") {
		f := strings.Split(entry, ",")
		if len(f) < 3 {
			errs = append(errs, fmt.Errorf("address %q: want ip,port,proto", entry))
			continue
		}
		port, err := strconv.ParseUint(f[1], 10, 16)
		if err != nil {
			errs = append(errs, fmt.Errorf("address %q: port %q is not a number", entry, f[1]))
			continue
		}
		a := Address{IP: f[0], Port: uint16(port), Proto: f[2]}
		if len(f) > 3 {
			a.Country = f[3]
		}
		out = append(out, a)
	}
	return out, errs
}

// FormatAddresses writes an address list; peers older than protocol 7 do
// not understand the country field, so it is left out for them.
func FormatAddresses(list []Address, withCountry bool) string {
	parts := make([]string, len(list))
	for i, a := range list {
		s := a.IP + "," + strconv.Itoa(int(a.Port)) + "," + a.Proto
		if withCountry && a.Country != "" {
			s += "," + a.Country
		}
		parts[i] = s
	}
	return strings.Join(parts, ";")
}

// Family is the address family a protocol tunnels over: 4 or 6.
func Family(proto string) int {
	if strings.HasSuffix(proto, "6") {
		return 6
	}
	return 4
}

package doctor

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"re6st-tui/diag/system/systemtest"
)

func TestUPnP(t *testing.T) {
	ports := []Port{{"udp", 1194}, {"tcp", 1194}}
	ext := netip.MustParseAddr("198.18.200.1")
	mapped := []Mapping{{"udp", 1194, 40000}, {"tcp", 1194, 40001}}
	for _, tt := range []struct {
		name string
		u    *UPnP
		want Status
		says []string // in the summary or the details
	}{
		{"unknown", nil, Skip, []string{"not running"}},
		{"not-used", &UPnP{}, Skip, []string{"not used"}},
		{"none-on-the-lan", &UPnP{Error: "no gateway answered", Ports: ports}, Skip, []string{"no gateway answered", "forward 1194/udp and 1194/tcp", "--ip"}},
		{"searching", &UPnP{Phase: "searching"}, Skip, []string{"looking"}},
		{"mapped", &UPnP{Phase: "mapped", Gateway: "WANIPConnection:2 at 198.18.0.1:5000", External: ext, Mappings: mapped, Renewed: t0.Add(-5 * time.Minute), Ports: ports},
			OK, []string{"198.18.200.1:40000/udp → port 1194", "198.18.200.1:40001/tcp", "WANIPConnection:2"}},
		{"partly-mapped", &UPnP{Phase: "mapped", External: ext, Mappings: mapped[:1], Renewed: t0, Error: "tcp 1194: ConflictInMappingEntry", Ports: ports},
			Warn, []string{"ConflictInMappingEntry", "forward 1194/udp and 1194/tcp"}},
		{"renewal-stuck", &UPnP{Phase: "mapped", External: ext, Mappings: mapped, Renewed: t0.Add(-2 * time.Hour), Ports: ports},
			Warn, []string{"renewed 2h0m0s ago", "log"}},
		{"failed", &UPnP{Phase: "failed", Asked: true, Error: "no Internet gateway answered", Ports: ports},
			Fail, []string{"no Internet gateway answered", "turn on UPnP", "forward 1194/udp and 1194/tcp", "--ip"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Doctor{Sys: systemtest.New(), Node: Node{UPnP: tt.u}, Now: func() time.Time { return t0 }}
			r := runCheck(t, d, "upnp")
			if r.Status != tt.want {
				t.Fatalf("got %s, want %s", r.Status, tt.want)
			}
			text := r.Summary + "\n" + strings.Join(r.Details, "\n")
			for _, s := range tt.says {
				if !strings.Contains(text, s) {
					t.Errorf("report lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

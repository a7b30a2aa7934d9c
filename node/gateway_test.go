package node

import (
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The gateway exports what babeld would, given re6st's statements.
func TestWhyNotExported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route netlink.Route
		why   string // "" when exported
	}{
		{"static", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_STATIC, Priority: 1024}, ""},
		{"router-advertisement", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_RA, Priority: 1024}, ""},
		{"dhcp", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_DHCP, Priority: 100}, ""},
		{"boot", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_BOOT, Priority: 1024}, "proto static"},
		{"babel", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: 42, Priority: 1024}, "Babel"},
		{"other-table", netlink.Route{Table: 100, Protocol: unix.RTPROT_STATIC}, "table 100"},
		{"cached", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_STATIC, Flags: unix.RTM_F_CLONED}, "cached"},
		{"placeholder", netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_KERNEL, Priority: 0xFFFFFFFF}, "placeholder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := whyNotExported(tc.route)
			if (got == "") != (tc.why == "") || !strings.Contains(got, tc.why) {
				t.Errorf("whyNotExported = %q, want %q", got, tc.why)
			}
		})
	}
}

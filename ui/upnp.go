package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"re6st-tui/node/state"
)

// upnpSegment is the header's word on the UPnP port mappings that let
// peers reach this node's servers from behind a home router; nothing
// when the node does not use UPnP. A failure outranks the rest of the
// line but the address.
func (m *Model) upnpSegment() segment {
	u, st := m.st.UPnP, &m.styles
	switch u.Phase {
	case state.UPnPSearching:
		return segment{st.Warn.Render("upnp searching…"), 2}
	case state.UPnPMapped:
		text := "upnp " + addrOrDash(u.External)
		if u.Error != "" {
			return segment{st.Warn.Render(text + " renewal failing"), 1}
		}
		return segment{st.OK.Render(text), 2}
	case state.UPnPFailed:
		return segment{st.Bad.Render("upnp failed"), 0}
	}
	return segment{}
}

// upnpEndpoints lists where peers reach the servers:
// "198.51.100.7:40000/udp, :40001/tcp".
func upnpEndpoints(u state.UPnP) string {
	parts := make([]string, len(u.Mappings))
	for i, p := range u.Mappings {
		host := ""
		if i == 0 {
			host = addrOrDash(u.External)
		}
		parts[i] = fmt.Sprintf("%s:%d/%s", host, p.External, p.Proto)
	}
	return strings.Join(parts, ", ")
}

// upnpLines say how peers reach this node's servers, for the peers tab,
// wrapped to the width on at most two lines (three for a failure, with
// what to do); none when the node does not use UPnP.
func (m *Model) upnpLines() []string {
	u, st := m.st.UPnP, &m.styles
	var text string
	style, most := st.Dim, 2
	switch u.Phase {
	case state.UPnPSearching:
		text, style = "◌ looking for a UPnP gateway to open our servers' ports", st.Warn
	case state.UPnPMapped:
		text, style = "● UPnP: servers at "+upnpEndpoints(u), lipgloss.NewStyle()
		if !u.Renewed.IsZero() {
			text += " · renewed " + durText(m.now.Sub(u.Renewed)) + " ago"
		}
		if u.Error != "" {
			text, style = "▲"+strings.TrimPrefix(text, "●")+"; renewing fails: "+u.Error, st.Warn
		}
	case state.UPnPFailed:
		text, style = "✗ UPnP failed: "+orDash(u.Error != "", u.Error)+". Peers cannot reach our servers: "+
			"turn on UPnP in the router, or forward the server ports by hand and give --ip", st.Bad
		most = 3
	default:
		if u.Error == "" {
			return nil
		}
		// Searched without being asked, and found none.
		text = "no UPnP gateway: peers reach our servers at the address they see us from"
	}
	lines := strings.Split(lipgloss.Wrap(text, max(m.width, 20), " "), "\n")
	if len(lines) > most {
		lines = lines[:most]
	}
	for i, l := range lines {
		lines[i] = style.Render(strings.TrimRight(l, " "))
	}
	return lines
}

// upnpServed says, for a tunnel a peer opened to one of our IPv4
// servers, how the gateway maps that server; "" when it does not.
func upnpServed(u state.UPnP, t *state.Tunnel) string {
	if u.Phase != state.UPnPMapped || t.Role != state.Server || strings.HasSuffix(t.Proto, "6") {
		return ""
	}
	for _, p := range u.Mappings {
		if p.Proto == t.Proto {
			return fmt.Sprintf("our %s server's port %d is mapped by UPnP to %s:%d", p.Proto, p.Internal, addrOrDash(u.External), p.External)
		}
	}
	return ""
}

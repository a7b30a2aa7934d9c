package trace

import (
	"fmt"
	"strings"
	"time"
)

// String prints the hop's latest round the way traceroute6 -n prints a
// line: hop limit, then each probe's answerer (when it changes) and time,
// "*" for a lost probe, and !N/!X/!H/!<code> marks for unreachables.
func (h Hop) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%2d ", h.TTL)
	var last string
	for _, p := range h.Probes {
		if p.Kind == Lost {
			b.WriteString(" *")
			continue
		}
		if from := p.From.String(); from != last {
			b.WriteString(" " + from)
			if name := h.name(from); name != "" {
				b.WriteString(" (" + name + ")")
			}
			last = from
		}
		fmt.Fprintf(&b, "  %s ms", ms(p.RTT))
		if m := unreachMark(p.Code); p.Kind == Unreachable && m != "" {
			b.WriteString(" " + m)
		}
	}
	return b.String()
}

func (h Hop) name(addr string) string {
	for _, r := range h.Responders {
		if r.Addr.String() == addr {
			return r.Name
		}
	}
	return ""
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

func unreachMark(code int) string {
	switch code {
	case 0:
		return "!N"
	case 1:
		return "!X"
	case 3:
		return "!H"
	case 4:
		return "" // port unreachable from a router: the answer itself is the news
	}
	return fmt.Sprintf("!<%d>", code)
}

// Columns prints mtr's per-hop statistics: loss, sent, last, avg, best, worst.
func (s Stats) Columns() string {
	return fmt.Sprintf("%5.1f%% %4d %8s %8s %8s %8s", s.Loss, s.Sent, ms(s.Last), ms(s.Avg), ms(s.Best), ms(s.Worst))
}

package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// splitNmcli splits one line of `nmcli -t` output, where ':' separates
// fields and '\:' and '\\' are escapes.
func splitNmcli(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

// isRe6stIface reports whether name is one of the node's interfaces or
// one of re6st's taps, which are all named re6stnet… (a server's tap
// exists before any tunnel uses it).
func (d *Doctor) isRe6stIface(name string) bool {
	return name != "lo" && (slices.Contains(d.Node.Interfaces, name) || strings.HasPrefix(name, "re6stnet"))
}

func checkNetworkManager(ctx context.Context, d *Doctor) Result {
	if d.Exec.LookPath("nmcli") != nil {
		return result(Skip, "NetworkManager is not installed")
	}
	out, err := d.Exec.Output(ctx, "nmcli", "-t", "-f", "RUNNING", "general")
	if err != nil || strings.TrimSpace(string(out)) != "running" {
		return result(Skip, "NetworkManager is not running")
	}
	out, err = d.Exec.Output(ctx, "nmcli", "-t", "-f", "DEVICE,TYPE,STATE", "device")
	if err != nil {
		return result(Error, fmt.Sprintf("nmcli device: %v", err))
	}
	var managed, details []string
	for _, line := range strings.Split(string(out), "\n") {
		f := splitNmcli(line)
		if len(f) < 3 || !d.isRe6stIface(f[0]) {
			continue
		}
		details = append(details, fmt.Sprintf("%s (%s): %s", f[0], f[1], f[2]))
		if !strings.HasPrefix(f[2], "unmanaged") {
			managed = append(managed, f[0])
		}
	}
	if len(managed) > 0 {
		return result(Warn, "NetworkManager manages "+strings.Join(managed, ", ")+
			": it may remove re6st's addresses and routes; add unmanaged-devices=interface-name:re6stnet* to NetworkManager.conf", details...)
	}
	return result(OK, "NetworkManager leaves re6st's interfaces alone", details...)
}

package state

import (
	"net/netip"
	"time"
)

// CheckStatus is the outcome of one doctor check (diag/doctor's Status).
type CheckStatus string

// Check outcomes.
const (
	CheckOK    CheckStatus = "ok"
	CheckWarn  CheckStatus = "warn"  // works, but something will bite
	CheckFail  CheckStatus = "fail"  // re6st is, or will be, broken by this
	CheckSkip  CheckStatus = "skip"  // not applicable, or an input is missing
	CheckError CheckStatus = "error" // the check itself could not run
)

// CheckDefaultRoute is the ID of the default-route conflict check, the one
// the dashboard shows as a banner.
const CheckDefaultRoute = "default-route"

// Finding is the result of one doctor check with the fixes it offers.
type Finding struct {
	ID          string      `json:"id"` // the check, e.g. "default-route"
	Title       string      `json:"title"`
	Status      CheckStatus `json:"status"`
	Explanation string      `json:"explanation"`       // one sentence: what is wrong
	Details     []string    `json:"details,omitempty"` // supporting facts, one per line
	Fixes       []Fix       `json:"fixes,omitempty"`
}

// Fix is one fix a check offers; its ID is what ApplyFix and RevertFix take.
type Fix struct {
	ID      string `json:"id"`      // e.g. "accept-ra-2:eth0", "re6st-default"
	Summary string `json:"summary"` // what it does, for a person
	// Change is the exact change, as the command that would make it
	// (`ip -6 route add …`), shown before it is applied.
	Change  string   `json:"change,omitempty"`
	Applied bool     `json:"applied"` // in force, and can be reverted
	Changes []Change `json:"changes,omitempty"`
	// Undo is what reverting would do now, as commands, shown before.
	Undo []string `json:"undo,omitempty"`
}

// Change is one change an applied fix made to the system (diag.Change).
type Change struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"` // add-route, replace-route, delete-route, set-sysctl
	Object string    `json:"object"` // the route as `ip -6 route` prints it, or the sysctl key
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
}

// Applied returns the fix of f that is in force, if any.
func (f Finding) Applied() (Fix, bool) {
	for _, x := range f.Fixes {
		if x.Applied {
			return x, true
		}
	}
	return Fix{}, false
}

// Hop is one line of a live traceroute, mtr-style: the statistics so far
// for the routers answering at hop limit N (diag/trace's Hop, flattened).
type Hop struct {
	N        int           `json:"hop"`
	Addrs    []netip.Addr  `json:"addrs"`           // every router seen at this hop, first seen first
	Names    []string      `json:"names,omitempty"` // reverse DNS of Addrs, "" where none; may be shorter
	Sent     int           `json:"sent"`
	Received int           `json:"received"`
	Loss     float64       `json:"loss"` // fraction 0..1 of probes unanswered
	Last     time.Duration `json:"last"`
	Avg      time.Duration `json:"avg"`
	Best     time.Duration `json:"best"`
	Worst    time.Duration `json:"worst"`
	Final    bool          `json:"final"` // the path ends here: destination reached or unreachable
}

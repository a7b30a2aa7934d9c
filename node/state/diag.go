package state

import (
	"net/netip"
	"time"
)

// CheckStatus is the outcome of one doctor check.
type CheckStatus string

// Check outcomes.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
)

// Finding is the result of one doctor check, with the fix the engine can
// apply for it.
type Finding struct {
	ID          string      `json:"id"`    // stable, passed to ApplyFix/RevertFix
	Check       string      `json:"check"` // e.g. "default-route"
	Status      CheckStatus `json:"status"`
	Explanation string      `json:"explanation"` // one sentence: what is wrong
	Fix         string      `json:"fix"`         // the exact change, e.g. "ip -6 route del default via fe80::1 dev eth0"
	Revert      string      `json:"revert"`      // the exact change that undoes Fix
	Applied     bool        `json:"applied"`     // Fix is in effect and can be reverted
}

// Hop is one line of a live traceroute, mtr-style: the statistics so far
// for the routers answering at TTL N.
type Hop struct {
	N     int           `json:"hop"`
	Addrs []netip.Addr  `json:"addrs"` // every router seen at this TTL, most recent first
	Sent  int           `json:"sent"`
	Loss  float64       `json:"loss"` // fraction 0..1 of probes unanswered
	Last  time.Duration `json:"last"`
	Avg   time.Duration `json:"avg"`
	Best  time.Duration `json:"best"`
	Worst time.Duration `json:"worst"`
}

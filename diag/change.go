package diag

import "time"

// Change is one change a fix made to the system, recorded so that it can be
// shown, logged and undone.
type Change struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"` // add-route, replace-route, delete-route, set-sysctl
	Object string    `json:"object"` // the route as `ip -6 route` prints it, or the sysctl key
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
}

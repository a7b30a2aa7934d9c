package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON report's layout. It changes only
// when a field is renamed, removed or changes meaning; added fields keep it.
const SchemaVersion = 1

// Report is the outcome of every check, as `doctor --json` prints it.
type Report struct {
	Schema int       `json:"schema"`
	Time   time.Time `json:"time"`
	Counts Counts    `json:"counts"`
	Checks []Result  `json:"checks"`
}

// Counts are how many checks ended in each status.
type Counts struct {
	OK    int `json:"ok"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
}

func (r *Report) add(res Result) {
	r.Checks = append(r.Checks, res)
	switch res.Status {
	case OK:
		r.Counts.OK++
	case Warn:
		r.Counts.Warn++
	case Fail:
		r.Counts.Fail++
	case Skip:
		r.Counts.Skip++
	default:
		r.Counts.Error++
	}
}

// Healthy reports whether no check failed or errored.
func (r Report) Healthy() bool { return r.Counts.Fail == 0 && r.Counts.Error == 0 }

// WriteJSON writes the report as indented JSON with a final newline.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // summaries mention <network>; keep them readable
	return enc.Encode(r)
}

// WriteText writes the report for a person: one line per check, its
// details indented under it, and the fixes it offers.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-6s %s: %s\n", "["+string(c.Status)+"]", c.Title, c.Summary)
		for _, d := range c.Details {
			fmt.Fprintf(&b, "         %s\n", d)
		}
		for _, f := range c.Fixes {
			fmt.Fprintf(&b, "       fix %s: %s\n", f.ID, f.Summary)
			if f.Change != "" {
				fmt.Fprintf(&b, "           %s\n", f.Change)
			}
		}
	}
	c := r.Counts
	fmt.Fprintf(&b, "%d ok, %d warn, %d fail, %d skip, %d error\n", c.OK, c.Warn, c.Fail, c.Skip, c.Error)
	_, err := io.WriteString(w, b.String())
	return err
}

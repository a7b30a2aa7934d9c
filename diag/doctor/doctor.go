package doctor

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"re6st-tui/diag"
	"re6st-tui/diag/system"
)

// Status is a check's verdict.
type Status string

const (
	OK    Status = "ok"
	Warn  Status = "warn"  // works, but something will bite
	Fail  Status = "fail"  // re6st is (or will be) broken by this
	Skip  Status = "skip"  // not applicable, or an input is missing
	Error Status = "error" // the check itself could not run
)

// System is the kernel as checks and fixes see it; *system.Kernel is one.
type System interface {
	Routes() ([]system.Route, error)
	AddRoute(system.Route) error
	ReplaceRoute(system.Route) error
	DeleteRoute(system.Route) error
	RouteGet(dst, src netip.Addr) (system.Route, error)
	Links() ([]system.Link, error)
	Sysctl(key string) (string, error)
	SetSysctl(key, value string) error
	WatchRoutes(ctx context.Context) (<-chan struct{}, error)
}

// Runner runs the read-only inspection tools (nft, iptables-save, nmcli).
type Runner interface {
	// LookPath reports whether the tool is installed.
	LookPath(name string) error
	// Output runs the tool and returns its standard output.
	Output(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Port is a transport port re6st serves.
type Port struct {
	Proto string `json:"proto"` // "udp" or "tcp"
	Port  int    `json:"port"`
}

// Remote is the underlay address a tunnel talks to.
type Remote struct {
	Tunnel string
	Addr   netip.Addr
}

// Node is what only the running node knows. Checks whose inputs are zero
// report Skip.
type Node struct {
	Network     netip.Prefix // re6st network, e.g. 2001:db8:42::/48
	Gateway     bool         // the node exports its own default route into re6st (--gateway)
	Addr        netip.Addr   // this node's re6st address
	Interfaces  []string     // re6st interfaces: tunnels and the main interface
	TunnelPorts []Port       // OpenVPN ports served
	Remotes     []Remote     // tunnels' underlay endpoints
	MTUTarget   netip.Addr   // an overlay address to measure the path MTU to
	UPnP        *UPnP        // the port mappings; nil when unknown (the node is not running)

	Registry      string            // registry URL
	HTTP          *http.Client      // nil: a client with a 10 s timeout
	CA            *x509.Certificate // the CA file the node uses
	CAFingerprint string            // pinned at enrollment, "sha256:<hex>" over the CA's DER
	Cert          *x509.Certificate // the node's certificate
}

// FixInfo names a fix offered by a result.
type FixInfo struct {
	ID      string `json:"id"`
	Summary string `json:"summary"` // what it does, for a person
	// Change is the exact change, as the command that would make it
	// (`ip -6 route add …`, `sysctl -w …`), shown before it is applied.
	Change string `json:"change,omitempty"`
}

// Fix changes the system to cure what a check found.
type Fix interface {
	Info() FixInfo
	// Apply makes the change and returns how to undo it.
	Apply(ctx context.Context) (Applied, error)
}

// Applied is a fix in force.
type Applied interface {
	// Changes lists what was changed so far (a fix that follows the system,
	// like the re6st default route, keeps adding to it).
	Changes() []diag.Change
	// Undo is what Revert would do now, as the commands that would do it,
	// shown before a revert; empty once reverted.
	Undo() []string
	// Revert undoes every change; it is idempotent.
	Revert(ctx context.Context) error
}

// Result is one check's outcome.
type Result struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Status  Status    `json:"status"`
	Summary string    `json:"summary"`           // one line
	Details []string  `json:"details,omitempty"` // supporting facts, one per line
	Fixes   []FixInfo `json:"fixes,omitempty"`
	fixes   []Fix
}

// Fix returns the offered fix with that id.
func (r Result) Fix(id string) (Fix, bool) {
	for _, f := range r.fixes {
		if f.Info().ID == id {
			return f, true
		}
	}
	return nil, false
}

func (r *Result) offer(f Fix) {
	r.fixes = append(r.fixes, f)
	r.Fixes = append(r.Fixes, f.Info())
}

// Doctor runs the checks.
type Doctor struct {
	Sys  System
	Exec Runner // nil: run tools on this host
	Node Node
	Log  *slog.Logger // nil: discard
	Now  func() time.Time
	MTU  MTUProber // nil: ICMPv6 echo probes (diag/pmtu)

	// once and reg memoise the registry fetch several checks share.
	once sync.Once
	reg  registryAnswer
}

type check struct {
	id, title string
	run       func(ctx context.Context, d *Doctor) Result
}

// checks lists every check in report order.
var checks = []check{
	{"default-route", "Default route", checkDefaultRoute},
	{"forwarding", "IPv6 forwarding and router advertisements", checkForwarding},
	{"subtrees", "IPv6 source-specific routes (subtrees)", checkSubtrees},
	{"firewall", "Firewall", checkFirewall},
	{"registry", "Registry reachable", checkRegistry},
	{"certificate", "Certificate", checkCertificate},
	{"ca-fingerprint", "CA fingerprint", checkCAFingerprint},
	{"clock", "Clock", checkClock},
	{"path-mtu", "Path MTU over the overlay", checkPathMTU},
	{"underlay-loop", "Tunnels over re6st itself", checkUnderlayLoop},
	{"networkmanager", "NetworkManager", checkNetworkManager},
	{"upnp", "UPnP port mappings", checkUPnP},
}

// IDs lists the check ids in report order.
func IDs() []string {
	ids := make([]string, len(checks))
	for i, c := range checks {
		ids[i] = c.id
	}
	return ids
}

func (d *Doctor) init() {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Exec == nil {
		d.Exec = hostRunner{}
	}
}

// Run runs one check by id.
func (d *Doctor) Run(ctx context.Context, id string) (Result, bool) {
	d.init()
	for _, c := range checks {
		if c.id == id {
			return d.run(ctx, c), true
		}
	}
	return Result{}, false
}

func (d *Doctor) run(ctx context.Context, c check) Result {
	r := c.run(ctx, d)
	r.ID, r.Title = c.id, c.title
	return r
}

// RunAll runs every check, in order, and returns the report.
func (d *Doctor) RunAll(ctx context.Context) Report {
	rep := Report{Schema: SchemaVersion, Time: d.now().UTC()}
	for _, r := range d.RunChecks(ctx, IDs()...) {
		rep.add(r)
	}
	return rep
}

// RunChecks runs the checks named by ids (unknown ids are ignored) in
// report order. A fix offered by several of them is listed only under the
// first, so each fix has one place to be applied from; run checks that
// share fixes together.
func (d *Doctor) RunChecks(ctx context.Context, ids ...string) []Result {
	d.init()
	var out []Result
	offeredBy := map[string]string{} // fix id → title of the check listing it
	for _, c := range checks {
		if !slices.Contains(ids, c.id) {
			continue
		}
		r := d.run(ctx, c)
		r.dedupe(offeredBy)
		out = append(out, r)
	}
	return out
}

// dedupe drops the fixes an earlier check already offers, saying where
// they are, and records its own.
func (r *Result) dedupe(offeredBy map[string]string) {
	keep := r.fixes[:0]
	r.Fixes = r.Fixes[:0]
	for _, f := range r.fixes {
		id := f.Info().ID
		if by, ok := offeredBy[id]; ok {
			r.Details = append(r.Details, fmt.Sprintf("fix %s: offered under %q", id, by))
			continue
		}
		offeredBy[id] = r.Title
		keep = append(keep, f)
		r.Fixes = append(r.Fixes, f.Info())
	}
	r.fixes = keep
	if len(r.Fixes) == 0 {
		r.Fixes = nil
	}
}

func (d *Doctor) now() time.Time {
	d.init()
	return d.Now()
}

func result(s Status, summary string, details ...string) Result {
	return Result{Status: s, Summary: summary, Details: details}
}

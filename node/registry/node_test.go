package registry

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/identity"
)

// fakeNode answers ::1 queries from a table, like a local node whose
// peers all respond at once.
type fakeNode struct {
	mu      sync.Mutex
	routes  []string
	addrs   map[string]string // prefix → address list (code 1)
	infos   map[string]string // prefix → version (code 4)
	topo    map[string]string // prefix → "<k> <cn>…" (code 5)
	pending []string          // replies queued as "prefix\x00code text"
	sent    map[byte][]string // what the registry asked
}

func (f *fakeNode) Send(prefix string, code byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent == nil {
		f.sent = map[byte][]string{}
	}
	f.sent[code] = append(f.sent[code], prefix)
	var m map[string]string
	switch code {
	case CodeAddress:
		m = f.addrs
	case CodeInfo:
		m = f.infos
	case CodeTopology:
		m = f.topo
	}
	if v, ok := m[prefix]; ok {
		f.pending = append(f.pending, prefix+"\x00"+string([]byte{code})+v)
	}
	return nil
}

func (f *fakeNode) Recv(deadline time.Time) (string, byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 {
		return "", 0, "", os.ErrDeadlineExceeded
	}
	m := f.pending[0]
	f.pending = f.pending[1:]
	return ParseReply([]byte(m))
}

func (f *fakeNode) Routes(context.Context) ([]string, error) { return f.routes, nil }

func TestNodeQueries(t *testing.T) {
	fn := &fakeNode{}
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Node = fn
	r := openTest(t, cfg)
	own, _ := mustIssue(t, r, "", nodeKey(0))
	a, _ := mustIssue(t, r, "", nodeKey(1))
	b, _ := mustIssue(t, r, "", nodeKey(2))
	if len(fn.sent[CodeNetworkVersion]) != 1 || fn.sent[CodeNetworkVersion][0] != own {
		t.Errorf("version notifications %v", fn.sent[CodeNetworkVersion])
	}
	fn.routes = []string{a, b}
	fn.addrs = map[string]string{own: "198.51.100.1,1194,tcp,FR", a: "198.51.100.2,1194,tcp,FR", b: "198.51.100.3,1194,tcp,DE"}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		msg, ok := r.BootstrapPeer(b, 10)
		if !ok {
			t.Fatal("no bootstrap peer")
		}
		seen[msg] = true
	}
	// b asking never gets itself: the registry's own prefix instead.
	if seen["0000000000000010 198.51.100.3,1194,tcp,DE"] || !seen[own+" 198.51.100.1,1194,tcp,FR"] {
		t.Errorf("bootstrap answers %v", seen)
	}
	if msg, _ := r.BootstrapPeer(b, 6); msg != "" && len(msg) > 0 && msg[len(msg)-3:] == ",FR" {
		t.Errorf("country kept for protocol 6: %s", msg)
	}
	fn.infos = map[string]string{own: "0-1.gabc, Linux", a: "0-2.gdef, Linux"}
	var vers map[string]*string
	if err := json.Unmarshal(r.Versions(), &vers); err != nil {
		t.Fatal(err)
	}
	if *vers[own] != "0-1.gabc, Linux" || vers[b] != nil || len(vers) != 3 {
		t.Errorf("versions %s", r.Versions())
	}
	// own has client tunnels to a and b; a serves b.
	fn.topo = map[string]string{own: "2 " + identity.CN(a) + " " + identity.CN(b), a: "0 " + identity.CN(b), b: "1 " + identity.CN(a)}
	var topo map[string][]string
	if err := json.Unmarshal(r.Topology(), &topo); err != nil {
		t.Fatal(err)
	}
	if len(topo[""]) != 3 || len(topo[identity.CN(own)]) != 2 || len(topo[identity.CN(b)]) != 1 {
		t.Errorf("topology %s", r.Topology())
	}
	r.mu.Lock()
	r.cfg.Node = nil
	r.mu.Unlock()
	if _, ok := r.BootstrapPeer(a, 10); ok {
		t.Error("bootstrap answer without a node")
	}
	if got := string(r.Versions()); got != `{"`+own+`": null}` {
		t.Errorf("versions without a node: %s", got)
	}
}

func TestStripCountry(t *testing.T) {
	if got := stripCountry("1,1,1,FR;0,0,0;2,2,2,DE,x"); got != "1,1,1;0,0,0;2,2,2" {
		t.Errorf("%s", got)
	}
}

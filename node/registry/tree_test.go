package registry

import (
	"errors"
	"strings"
	"testing"

	"re6st-tui/node/identity"
)

func TestTreeSplitAndExhaust(t *testing.T) {
	tr := newTree(4)
	tr.set("", rowFree)
	var got []string
	for {
		p, _, err := tr.alloc(2, "")
		if errors.Is(err, ErrNoPrefix) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	// Four /2 blocks in a 4-bit space.
	if strings.Join(got, " ") != "00 01 10 11" {
		t.Fatalf("allocations %v", got)
	}
	tr = newTree(2)
	tr.set("", rowFree)
	got = nil
	for {
		p, _, err := tr.alloc(2, "")
		if err != nil {
			break
		}
		got = append(got, p)
	}
	// Full length: the all-zero block is reserved, never handed out.
	if strings.Join(got, " ") != "01 10 11" || tr.rows["00"] != rowReserved {
		t.Fatalf("full-length allocations %v, rows %v", got, tr.rows)
	}
}

func TestTreeMerge(t *testing.T) {
	tr := newTree(8)
	tr.set("", rowFree)
	a, _, _ := tr.alloc(4, "")
	b, _, _ := tr.alloc(4, "")
	if a != "0000" || b != "0001" {
		t.Fatalf("got %s %s", a, b)
	}
	tr.release(a)
	tr.merge()
	if _, ok := tr.rows["0000"]; !ok {
		t.Fatal("0000 merged while its sibling is allocated")
	}
	tr.release(b)
	ops := tr.merge()
	if len(tr.rows) != 1 || tr.rows[""] != rowFree {
		t.Fatalf("after merge rows = %v", tr.rows)
	}
	if len(ops) != 8 {
		t.Errorf("merge issued %d statements, want 8 (4 levels × update+delete)", len(ops))
	}
	// Reserved rows never merge.
	tr = newTree(1)
	tr.set("", rowFree)
	tr.alloc(1, "")
	if _, _, err := tr.alloc(1, ""); !errors.Is(err, ErrNoPrefix) {
		t.Fatalf("second /1 in a 1-bit space: %v", err)
	}
	tr.release("1")
	tr.merge()
	if tr.rows["0"] != rowReserved || tr.rows["1"] != rowFree {
		t.Fatalf("rows %v", tr.rows)
	}
}

func TestTreeCommunities(t *testing.T) {
	tr := newTree(16)
	tr.set("", rowFree)
	p, _, err := tr.alloc(13, "001")
	// Full length: community‖zeros is reserved, so the first block ends in 1.
	if err != nil || p != "0010000000000001" || tr.rows["0010000000000000"] != rowReserved {
		t.Fatalf("community 001: %s %v", p, err)
	}
	q, _, _ := tr.alloc(13, "010")
	if !strings.HasPrefix(q, "010") || len(q) != 16 {
		t.Fatalf("community 010: %s", q)
	}
	d, _, _ := tr.alloc(13, "000")
	if d != "0000000000000001" {
		t.Fatalf("community 000: %s", d)
	}
	cs := []Community{{"000", []string{"*"}}, {"001", []string{"@AS", "AU"}}, {"010", []string{"FR", "DE"}}}
	for _, c := range []struct{ country, cont, want string }{
		{"FR", "@EU", "010"}, {"AU", "@OC", "001"}, {"JP", "@AS", "001"}, {"US", "@NA", "000"},
	} {
		if got := community(cs, c.country, c.cont); got != c.want {
			t.Errorf("community(%s,%s) = %s, want %s", c.country, c.cont, got, c.want)
		}
	}
	if err := checkCommunities([]Community{{"00", nil}, {"001", nil}}, newTreeWith("")); err == nil {
		t.Error("overlapping communities accepted")
	}
	tr2 := newTreeWith("")
	tr2.alloc(2, "")
	if err := checkCommunities([]Community{{"001", nil}}, tr2); err == nil {
		t.Error("community inside an allocated prefix accepted")
	}
}

func newTreeWith(free string) *tree {
	tr := newTree(16)
	tr.set(free, rowFree)
	return tr
}

func TestRegistryCommunities(t *testing.T) {
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Communities = []Community{{"000", []string{"*"}}, {"001", []string{"@AS", "AU"}}, {"010", []string{"FR", "DE", "IT"}}}
	cfg.AnonymousPrefixLength = 13
	cfg.Country = func(ip string) (string, string, bool) {
		if ip == "198.51.100.7" {
			return "JP", "AS", true
		}
		return "", "", false
	}
	r := openTest(t, cfg)
	issue := func(req CertRequest) string {
		t.Helper()
		req.CSR = csr(t, nodeKey(0))
		pem, err := r.RequestCertificate(req)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := identity.ParseCertPEM(pem)
		p, _ := identity.PrefixFromCN(c.Subject.CommonName)
		return p
	}
	if p := issue(CertRequest{Location: "FR,EU"}); !strings.HasPrefix(p, "010") || len(p) != 16 {
		t.Errorf("FR: %s", p)
	}
	if p := issue(CertRequest{IP: "198.51.100.7"}); !strings.HasPrefix(p, "001") {
		t.Errorf("GeoIP JP/AS: %s", p)
	}
	if p := issue(CertRequest{IP: "203.0.113.1"}); !strings.HasPrefix(p, "000") {
		t.Errorf("unknown location: %s", p)
	}
	if _, err := r.RequestCertificate(CertRequest{CSR: csr(t, nodeKey(0)), Location: "FR"}); statusOf(err) != 400 {
		t.Errorf("bad location: %v", err)
	}
}

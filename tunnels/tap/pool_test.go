package tap

import (
	"errors"
	"reflect"
	"testing"
)

type fakeDevices struct {
	created, removed []string
	fail             bool
}

func (f *fakeDevices) Create(name string) error {
	if f.fail {
		return errors.New("no /dev/net/tun")
	}
	f.created = append(f.created, name)
	return nil
}
func (f *fakeDevices) Up(string, int) error     { return nil }
func (f *fakeDevices) Remove(name string) error { f.removed = append(f.removed, name); return nil }
func (f *fakeDevices) Stale() ([]string, error) { return nil, nil }

// Names come lowest first, are created once, reused after release, and
// all removed at Close.
func TestPool(t *testing.T) {
	d := &fakeDevices{}
	p := NewPool(d, 3)
	take := func() string {
		n, err := p.Take()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b, c := take(), take(), take()
	if a != "re6stnet1" || b != "re6stnet2" || c != "re6stnet3" {
		t.Fatalf("took %s %s %s", a, b, c)
	}
	if _, err := p.Take(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("fourth Take: %v, want ErrExhausted", err)
	}
	p.Release("re6stnet2")
	p.Release("eth0") // not ours: ignored
	if n := take(); n != "re6stnet2" {
		t.Fatalf("reuse took %s, want re6stnet2", n)
	}
	if want := []string{"re6stnet1", "re6stnet2", "re6stnet3"}; !reflect.DeepEqual(d.created, want) {
		t.Fatalf("created %v, want %v", d.created, want)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if len(d.removed) != 3 {
		t.Fatalf("removed %v", d.removed)
	}
}

func TestPoolCreateFails(t *testing.T) {
	d := &fakeDevices{fail: true}
	p := NewPool(d, 1)
	if _, err := p.Take(); err == nil {
		t.Fatal("Take hid a create failure")
	}
	d.fail = false
	if n, err := p.Take(); err != nil || n != "re6stnet1" {
		t.Fatalf("Take after failure: %s, %v", n, err)
	}
}

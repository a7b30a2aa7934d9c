package tunnels

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStandInOpenVPN is not a test: Managers in unit tests run the test
// binary through it as a stand-in openvpn that follows a fixed script on
// its management interface and checks the commands it gets.
func TestStandInOpenVPN(t *testing.T) {
	if os.Getenv("FAKE_OPENVPN") == "" {
		t.Skip("stand-in openvpn for the Manager unit tests")
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	code := fakeOpenVPN(args)
	os.Exit(code)
}

func argAfter(args []string, name string, n int) string {
	i := slices.Index(args, name)
	if i < 0 || i+n >= len(args) {
		return ""
	}
	return args[i+n]
}

func fakeOpenVPN(args []string) int {
	c, err := net.Dial("unix", argAfter(args, "--management", 1))
	if err != nil {
		fmt.Println("fake: dial management:", err)
		return 2
	}
	r := bufio.NewReader(c)
	send := func(lines ...string) { fmt.Fprint(c, strings.Join(lines, "\r\n")+"\r\n") }
	expect := func(want string) bool {
		line, err := r.ReadString('\n')
		if got := strings.TrimRight(line, "\r\n"); err != nil || got != want {
			fmt.Printf("fake: ERROR got command %q (%v), want %q\n", got, err, want)
			return false
		}
		return true
	}
	send(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info", ">HOLD:Waiting for hold release:0")
	for _, cmd := range []string{"state on", "log on", "bytecount 1", "hold release"} {
		if !expect(cmd) {
			return 3
		}
		send("SUCCESS: " + cmd)
	}
	fmt.Println("fake: started")
	if slices.Contains(args, "--tls-server") {
		return fakeServer(filepath.Dir(argAfter(args, "--management", 1)), send, expect)
	}
	return fakeClient(args, send)
}

// serverGate is the file, in the Manager's run directory, whose creation
// lets the stand-in server go on past its first client: until then the
// test can look at Tunnels() with exactly one served peer, without racing
// the rest of the script through the Manager's buffered events.
const serverGate = "fake-server-go-on"

func fakeServer(runDir string, send func(...string), expect func(string) bool) int {
	send(">LOG:1,D,Data Channel MTU parms [ mss_fix:0 max_frag:0 tun_mtu:1500 tun_max_mtu:1600 ]",
		">STATE:1,CONNECTED,SUCCESS,,,,,")
	send(">CLIENT:CONNECT,0,1", ">CLIENT:ENV,common_name=2/16", ">CLIENT:ENV,tls_serial_0=2",
		">CLIENT:ENV,untrusted_ip=198.18.0.12", ">CLIENT:ENV,untrusted_port=5000", ">CLIENT:ENV,END")
	if !expect("client-auth 0 1") || !expect(`push "setenv-safe external_ip 198.18.0.12"`) || !expect("END") {
		return 3
	}
	send("SUCCESS: client-auth command succeeded")
	send(">CLIENT:ESTABLISHED,0", ">CLIENT:ENV,common_name=2/16", ">CLIENT:ENV,tls_serial_0=2",
		">CLIENT:ENV,trusted_ip=198.18.0.12", ">CLIENT:ENV,trusted_port=5000", ">CLIENT:ENV,END",
		">BYTECOUNT_CLI:0,100,200")
	for {
		if _, err := os.Stat(filepath.Join(runDir, serverGate)); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	send(">CLIENT:CONNECT,1,1", ">CLIENT:ENV,common_name=4/16", ">CLIENT:ENV,tls_serial_0=4",
		">CLIENT:ENV,untrusted_ip6=2001:db8:ff00::14", ">CLIENT:ENV,untrusted_port=5001", ">CLIENT:ENV,END")
	if !expect(`client-deny 1 1 "serial 4 is revoked"`) {
		return 3
	}
	send("SUCCESS: client-deny command succeeded")
	send(">CLIENT:REAUTH,0,2", ">CLIENT:ENV,common_name=2/16", ">CLIENT:ENV,tls_serial_0=2", ">CLIENT:ENV,END")
	if !expect("client-auth-nt 0 2") {
		return 3
	}
	send("SUCCESS: client-auth command succeeded")
	send(">CLIENT:DISCONNECT,0", ">CLIENT:ENV,common_name=2/16", ">CLIENT:ENV,tls_serial_0=2",
		">CLIENT:ENV,trusted_ip=198.18.0.12", ">CLIENT:ENV,trusted_port=5000",
		">CLIENT:ENV,bytes_received=1000", ">CLIENT:ENV,bytes_sent=2000", ">CLIENT:ENV,END")
	fmt.Println("fake: server script done")
	select {} // until killed
}

func fakeClient(args []string, send func(...string)) int {
	switch argAfter(args, "--remote", 1) {
	case "198.18.0.99":
		send(">LOG:1,N,VERIFY X509NAME ERROR: CN=9/16, must be 1/16", ">STATE:1,EXITING,tls-error,,,,,")
		fmt.Println("fake: TLS Error: TLS handshake failed")
		return 1
	case "198.18.0.11":
		// Printed before CONNECTED so that it is in the log by the time
		// the Exited event comes (Wait drains the output first).
		fmt.Println("fake: connected")
		send(">LOG:1,I,PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 198.18.0.12,cipher none,tun-mtu 1400'",
			">LOG:1,I,OPTIONS IMPORT: tun-mtu set to 1400",
			">STATE:1,CONNECTED,SUCCESS,,198.18.0.11,1194,198.18.0.12,40000",
			">BYTECOUNT:10,20", ">BYTECOUNT:30,40")
		select {} // until killed
	}
	fmt.Println("fake: unexpected remote", argAfter(args, "--remote", 1))
	return 4
}

// fakeManager is a Manager whose openvpn is TestStandInOpenVPN.
func fakeManager(t *testing.T, admit func(Peer) error) (*Manager, *fakeTaps, *logRecords) {
	logs := newLogRecords()
	ca, cert, key := files(t)
	taps := &fakeTaps{}
	m, err := New(Config{
		OpenVPN: os.Args[0], RunDir: t.TempDir(), CA: ca, Cert: cert, Key: key, DH: ca,
		MaxClients: 2, ClientCount: 2, Taps: taps, Admit: admit, Log: slog.New(logs),
		Command: func(ctx context.Context, name string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, name, append([]string{"-test.run=^TestStandInOpenVPN$", "--"}, args...)...)
			cmd.Env = append(os.Environ(), "FAKE_OPENVPN=1")
			return cmd
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return m, taps, logs
}

// nextEvent waits for the next event that is not Stats (unless asked for).
func nextEvent(t *testing.T, m *Manager, k Kind) Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-m.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", k)
			}
			if ev.Kind == Stats && k != Stats {
				continue
			}
			if ev.Kind != k {
				t.Fatalf("got %v event (%s: %s %q), want %v", ev.Kind, ev.Tunnel, ev.Reason, ev.LastLog, k)
			}
			return ev
		case <-timeout:
			t.Fatalf("no %v event within 20 s", k)
		}
	}
}

func TestManagerServerEvents(t *testing.T) {
	m, taps, _ := fakeManager(t, func(p Peer) error {
		if p.Serial == "4" {
			return fmt.Errorf("serial %s is revoked", p.Serial)
		}
		return nil
	})
	if err := m.Serve(t.Context(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, m, ServerUp); ev.Tunnel != "re6stnet-tcp" || !ev.Server {
		t.Errorf("server up: %+v", ev)
	}
	pc := nextEvent(t, m, PeerConnected)
	if pc.CN != "2/16" || pc.Serial != "2" || pc.Remote.String() != "198.18.0.12:5000" {
		t.Errorf("peer connected: %+v", pc)
	}
	st := nextEvent(t, m, Stats)
	if st.CN != "2/16" || st.Counters.In != 100 || st.Counters.Out != 200 {
		t.Errorf("stats: %+v", st)
	}
	ts := m.Tunnels()
	if len(ts) != 1 || !ts[0].Server || ts[0].CN != "2/16" || ts[0].Serial != "2" || ts[0].Counters.Out != 200 {
		t.Errorf("Tunnels() with one served peer: %+v", ts)
	}
	if err := os.WriteFile(filepath.Join(m.cfg.RunDir, serverGate), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ref := nextEvent(t, m, PeerRefused)
	if ref.CN != "4/16" || ref.Remote.String() != "[2001:db8:ff00::14]:5001" || ref.Reason != "serial 4 is revoked" {
		t.Errorf("refused: %+v", ref)
	}
	dis := nextEvent(t, m, PeerDisconnected)
	if dis.CN != "2/16" || dis.Counters.In != 1000 || dis.Counters.Out != 2000 {
		t.Errorf("disconnected: %+v", dis)
	}
	if ts := m.Tunnels(); len(ts) != 0 {
		t.Errorf("Tunnels() after the disconnect: %+v", ts)
	}
	if err := m.Unserve(TCP); err != nil {
		t.Fatal(err)
	}
	if ex := nextEvent(t, m, Exited); !ex.Server || ex.Tunnel != "re6stnet-tcp" {
		t.Errorf("server exit: %+v", ex)
	}
	if err := m.Unserve(TCP); err == nil {
		t.Error("second Unserve accepted")
	}
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	want := []string{"create re6stnet-tcp", "up re6stnet-tcp 1500", "remove re6stnet-tcp"}
	if got := taps.Ops(); !slices.Equal(got, want) {
		t.Errorf("tap operations %q, want %q", got, want)
	}
}

func TestManagerClientEvents(t *testing.T) {
	m, taps, logs := fakeManager(t, nil)
	bad := Address{AddrPort: mustAddrPort("198.18.0.99:1194"), Proto: UDP}
	good := Address{AddrPort: mustAddrPort("198.18.0.11:1194"), Proto: UDP}
	iface, err := m.Open("1/16", []Address{bad, good})
	if err != nil {
		t.Fatal(err)
	}
	up := nextEvent(t, m, Connected)
	if up.Tunnel != iface || up.CN != "1/16" || up.ExternalIP.String() != "198.18.0.12" ||
		up.Remote != good.AddrPort || up.Cipher != "none" {
		t.Errorf("connected: %+v", up)
	}
	st := nextEvent(t, m, Stats)
	if st.Counters.In != 10 || st.Counters.Out != 20 {
		t.Errorf("stats: %+v", st)
	}
	if ts := m.Tunnels(); len(ts) != 1 || ts[0].Iface != iface || !ts[0].Up || ts[0].Remote != good.AddrPort || ts[0].Counters.In < 10 {
		t.Errorf("Tunnels() with one client tunnel: %+v", ts)
	}
	if err := m.Close(iface); err != nil {
		t.Fatal(err)
	}
	if ex := nextEvent(t, m, Exited); ex.Reason != "closed" || ex.Tunnel != iface || ex.Counters.In < 10 {
		t.Errorf("exited: %+v", ex)
	}
	// Only the bad address: Failed, with the reason from the log.
	iface, err = m.Open("9/16", []Address{bad})
	if err != nil {
		t.Fatal(err)
	}
	f := nextEvent(t, m, Failed)
	if !strings.Contains(f.Reason, "X509NAME") || f.Tunnel != iface {
		t.Errorf("failed: %+v", f)
	}
	if !slices.Contains(f.LastLog, "fake: TLS Error: TLS handshake failed") {
		t.Errorf("last log lines %q lack the process output", f.LastLog)
	}
	if got := taps.Ops(); !slices.Equal(got, []string{"create re6stnet1", "up re6stnet1 1400"}) {
		t.Errorf("tap operations %q", got)
	}
	// openvpn's output reaches the log labelled with its tunnel.
	if !slices.Contains(logs.Lines(), "fake: connected tunnel=re6stnet1 source=openvpn") {
		t.Errorf("openvpn output not logged with its tunnel:\n%s", strings.Join(logs.Lines(), "\n"))
	}
}

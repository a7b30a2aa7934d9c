package openvpn

import (
	"log/slog"
	"testing"
)

func TestLevelOf(t *testing.T) {
	for line, want := range map[string]slog.Level{
		"  tun_mtu = 1500":                                                slog.LevelDebug,
		"Exiting due to fatal error":                                      slog.LevelError,
		"Options error: --cert fails with 'x'":                            slog.LevelError,
		"TLS Error: TLS handshake failed":                                 slog.LevelWarn,
		"VERIFY X509NAME ERROR: CN=9/16":                                  slog.LevelWarn,
		"WARNING: --keepalive option is missing":                          slog.LevelWarn,
		"Initialization Sequence Completed":                               slog.LevelInfo,
		"Data Channel MTU parms [ tun_mtu:1500 ]":                         slog.LevelDebug,
		"MULTI: multi_create_instance called":                             slog.LevelDebug,
		"[1/16] Peer Connection Initiated with [AF_INET]198.18.0.11:1194": slog.LevelInfo,
	} {
		if got := levelOf(line); got != want {
			t.Errorf("levelOf(%q) = %v, want %v", line, got, want)
		}
	}
}

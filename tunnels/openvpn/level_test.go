package openvpn

import (
	"log/slog"
	"testing"
)

func TestLevelOf(t *testing.T) {
	for line, want := range map[string]slog.Level{
		"  tun_mtu = 1500":                        slog.LevelDebug,
		"Exiting due to fatal error":              slog.LevelError,
		"Options error: --cert fails with 'x'":    slog.LevelError,
		"TLS Error: TLS handshake failed":         slog.LevelWarn,
		"VERIFY X509NAME ERROR: CN=9/16":          slog.LevelWarn,
		"WARNING: --keepalive option is missing":  slog.LevelWarn,
		"Initialization Sequence Completed":       slog.LevelInfo,
		"Data Channel MTU parms [ tun_mtu:1500 ]": slog.LevelDebug,
	} {
		if got := levelOf(line); got != want {
			t.Errorf("levelOf(%q) = %v, want %v", line, got, want)
		}
	}
}

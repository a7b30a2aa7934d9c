package openvpn

import (
	"log/slog"
	"testing"
)

func TestLevelOf(t *testing.T) {
	for line, want := range map[string]slog.Level{
		"  tun_mtu = 1500":                       slog.LevelDebug,
		"Exiting due to fatal error":             slog.LevelError,
		"Options error: --cert fails with 'x'":   slog.LevelError,
		"TLS Error: TLS handshake failed":        slog.LevelWarn,
		"VERIFY X509NAME ERROR: CN=9/16":         slog.LevelWarn,
		"WARNING: --keepalive option is missing": slog.LevelWarn,
		"Initialization Sequence Completed":      slog.LevelInfo,
		"WARNING: cipher 'none' specified for --data-ciphers. This allows negotiation of NO encryption": slog.LevelDebug,
		"2/16/198.18.0.12:45490 ******* WARNING *******: '--cipher none' was specified.":                slog.LevelDebug,
		"WARNING: cipher with small block size in use, reducing reneg-bytes to 64MB":                    slog.LevelDebug,
		"Data Channel MTU parms [ tun_mtu:1500 ]":                                                       slog.LevelDebug,
		"MULTI: multi_create_instance called":                                                           slog.LevelDebug,
		"[1/16] Peer Connection Initiated with [AF_INET]198.18.0.11:1194":                               slog.LevelInfo,
	} {
		if got := levelOf(line); got != want {
			t.Errorf("levelOf(%q) = %v, want %v", line, got, want)
		}
	}
}

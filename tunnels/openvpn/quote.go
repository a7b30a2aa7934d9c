package openvpn

import "strings"

// Quote makes s one argument for the management command lexer, which
// follows the config-file rules: double quotes, with \ and " escaped.
func Quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ")
	return `"` + r.Replace(s) + `"`
}

package wire

// Drop says why the decoder ignored one TLV of an otherwise valid packet.
type Drop uint8

// Reasons for dropping a TLV.
const (
	DropShort      Drop = iota // shorter than its fixed part
	DropTruncated              // length runs past the body; ends the packet
	DropBadAE                  // unknown or forbidden address encoding
	DropBadPrefix              // bad plen/omitted, or omitted without a default prefix
	DropBadSubTLV              // sub-TLV overruns its TLV or is malformed
	DropMandatory              // unknown mandatory sub-TLV (type >= 128)
	DropNoRouterID             // finite Update without a current router-id
	DropNoNextHop              // IPv4 Update without an IPv4 next hop
	DropWildcard               // wildcard Update with a finite metric or a source prefix
	DropSrcPrefix              // source prefix of length 0, twice, or on a wildcard request
	DropUnknownTLV             // TLV type this speaker does not know
	DropBadLength              // PC, challenge or MAC with an impossible length
	numDrops
)

var dropNames = [numDrops]string{
	"short", "truncated", "bad-ae", "bad-prefix", "bad-subtlv", "mandatory-subtlv",
	"no-router-id", "no-next-hop", "bad-wildcard", "bad-src-prefix", "unknown-tlv", "bad-length",
}

// String names the reason, for logs and counters.
func (d Drop) String() string {
	if d < numDrops {
		return dropNames[d]
	}
	return "unknown"
}

// NumDrops is the number of Drop reasons, for counter arrays.
const NumDrops = int(numDrops)

// DropStat is one drop: which TLV type and why.
type DropStat struct {
	Type   byte
	Reason Drop
}

package idtest

import (
	"encoding/asn1"
	"math/big"
)

func asn1Marshal(v any) ([]byte, error) { return asn1.Marshal(v) }

func bigInt(v int64) *big.Int { return big.NewInt(v) }

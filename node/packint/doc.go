// Package packint implements re6st's variable-length unsigned integer
// (packInteger/unpackInteger): 1 to 8 bytes whose first 3 bits give the
// extra byte count. The encoding is unique and preserves byte-wise order,
// which is why network versions can be compared as byte strings.
package packint

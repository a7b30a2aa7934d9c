// Package netconf decodes the network configuration a re6st registry
// serves (getNetworkConfig: zlib-compressed JSON, with base64 and
// RSA-encrypted fields) into the rows re6st keeps in cache.db, and reads
// those rows back as typed settings.
package netconf

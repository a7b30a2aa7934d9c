// Package geoip looks addresses up in a MaxMind country database, the
// file that re6st names in the GEOIP2_MMDB environment variable. The
// registry uses it to place nodes in communities and answer getCountry;
// a node uses it for the network's same_country rule.
package geoip

// Package config reads command lines and option files the way re6stnet and
// re6st-registry do: "@file" arguments insert the options of a file, one
// option per line, so existing re6stnet.conf files keep working. Every
// error names the file and line (or the command line) it comes from.
package config

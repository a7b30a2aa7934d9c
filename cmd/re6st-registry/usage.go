package main

const usage = `usage: re6st-registry [@FILE] [options]

re6st registry: delivers certificates and the network configuration.
Options may come from files given as @FILE, one option per line.

  --port N                   port to listen on (80)
  -4 ADDR / -6 ADDR          IPv4 / IPv6 address to bind ("" disables; 0.0.0.0 / ::)
  --db PATH                  SQLite database (/var/lib/re6stnet/registry.db)
  --ca PATH --key PATH       CA certificate and its private key (required)
  --dh PATH                  DH parameters served to nodes (required)
  --mailhost HOST|MBOX       SMTP host, or mbox file, for token mails
  --smtp-user U --smtp-pwd P --smtp-starttls
  --prefix-length N          prefix length for token registrations (16; 0 disables)
  --anonymous-prefix-length N  prefix length for anonymous ones (unset/0 disables)
  --ipv4 NET/N PLEN          give each node an IPv4 subnet of length PLEN
  -l, --logfile PATH         log file (/var/log/re6stnet/registry.log; - for stderr)
  -r, --run DIR              run directory of the local node (/var/run/re6stnet)
  -v, --verbose N            0 off, 1 warning, 2 info, 3 debug (1)
  --min-protocol N           reject nodes older than this (1)
  --authorized-origin IP     may call private methods (repeatable; 127.0.0.1 and ::1 always)
  --community PATH           community file
  --grace-period SECONDS     keep expired certificates and tokens this long (8640000)
  --hello N --encrypt --client-count N --max-clients N --tunnel-refresh N
  --same-country CC          no tunnels across these borders (repeatable; needs GEOIP2_MMDB)

GEOIP2_MMDB names a GeoLite2 Country database. SIGUSR1 reopens the log file.
`

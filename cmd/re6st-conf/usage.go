package main

const usage = `usage: re6st-conf --registry URL [options]

Enrolls this machine in a re6st network: writes ca.crt, cert.crt,
cert.key and re6stnet.conf in the current (or -d) directory.

  --registry URL           registry to ask (required)
  --fingerprint ALG:HEX    expected CA fingerprint, e.g. sha256:ab12...
  --is-needed              only tell (exit status 1) if this host is already in the network
  --ca-only                only fetch the CA
  -d, --dir DIR            where to write the files
  -r, --req KEY VALUE      extra subject field (repeatable; CN and serial are reserved)
  --email ADDR             ask for a token by mail to ADDR
  --token TOKEN            use a token received earlier
  --anonymous              ask for an anonymous certificate
  --location CC,CONT       country and continent, e.g. FR,EU
`

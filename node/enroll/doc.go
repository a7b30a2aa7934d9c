// Package enroll turns a machine into a member of a re6st network, step by
// step, as re6st-conf does and as an interactive wizard can drive it:
//
//	e, err := enroll.New(registryURL, dir)
//	ca, err := e.FetchCA(ctx)              // show ca.Prefix and e.Fingerprint("sha256"),
//	err = e.CheckFingerprint("sha256:…")   // or check one given by the operator
//	err = e.CheckWritable()                // before anything is spent
//	err = e.WriteCA()
//	err = e.RequestToken(ctx, email)       // unless anonymous or a token is known
//	err = e.PrepareKey()                   // reuse cert.key or generate one (0600)
//	subj, err := e.Subject(extraFields)
//	cert, err := e.RequestCertificate(ctx, token, subj, location) // "" token = anonymous
//	written, err := e.WriteConf(location)  // re6stnet.conf, only when absent
//	res, err := e.Result()                 // subnet, CN, validity and renewal date
//
// Errors say what to do; the ones to branch on are ErrInvalidToken,
// ErrRegistrationDisabled, ErrDirNotWritable, identity.ErrFingerprintMismatch
// and *regclient.UnreachableError (wrapped). Files are written atomically.
//
// Renew and RenewIdentity hold the renewal rules a node applies on a
// timer: renew 30 days before expiry, or at once when its serial is
// revoked; retry after 24 h on failure.
package enroll

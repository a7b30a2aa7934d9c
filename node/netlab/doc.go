// Package netlab builds throw-away networks out of Linux network namespaces
// for integration tests and for the demo: an "internet" bridge joining host
// namespaces, optionally a second segment behind a router that can NAT.
//
// Every lab holds a lock file for its lifetime. A lab whose owner died
// (SIGKILL, crash) leaves an unlocked lock file behind, and the next lab
// built on the machine sweeps its namespaces and processes away.
package netlab
